// Copyright 2026 The ssh-socket-proxy Authors.
//
// Descriptors 0, 1 and 2 that the caller left closed. The first socket the
// program opens would take the lowest free number: on a closed stdout the
// relay would copy the guest's bytes back into the guest's own socket, and on
// a closed stderr the error messages would go to the guest. So before anything
// else, each closed one is filled with /dev/null, and the caller is told
// which ones were closed:
//
//   absl::StatusOr<ClosedStandardFds> closed = FillClosedStandardFds(sys);
//   if (closed.ok() && closed->out) ... stdout was closed: fail, say so

#ifndef SSHPROXY_NET_STANDARD_FDS_H_
#define SSHPROXY_NET_STANDARD_FDS_H_

#include "absl/status/statusor.h"
#include "net/syscalls.h"

namespace sshproxy::net {

struct ClosedStandardFds {
  bool in = false;
  bool out = false;
  bool err = false;
};

// Opens /dev/null onto each of descriptors 0, 1 and 2 that is not open, and
// returns which were not. The /dev/null descriptors stay open for the life
// of the process. Fails only if /dev/null cannot be opened, or lands
// elsewhere (then nothing else may be opened safely either).
absl::StatusOr<ClosedStandardFds> FillClosedStandardFds(Syscalls& sys);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_STANDARD_FDS_H_
