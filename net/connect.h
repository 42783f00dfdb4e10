// Copyright 2026 The ssh-socket-proxy Authors.
//
// net/ is the transport layer: connectors (here), the vsock-mux handshake
// (mux.h), the hand-over (handover.h), the relay (relay.h), --wait (wait.h),
// the shared I/O loops (io.h) and errors with fields (error.h), all on the
// Syscalls interface (syscalls.h). It knows nothing of flags or names.
//
// Connectors: each returns a connected, blocking SOCK_STREAM socket with
// FD_CLOEXEC set, or an error that names the address and the errno text, e.g.
//   connect unix:/run/vm.sock: No such file or directory
// with the errno as a field (net/error.h).

#ifndef SSHPROXY_NET_CONNECT_H_
#define SSHPROXY_NET_CONNECT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/syscalls.h"
#include "net/unique_fd.h"

namespace sshproxy::net {

struct ConnectOptions {
  // Bound on one connect; InfiniteDuration leaves it to the kernel. A finite
  // timeout connects non-blocking and waits with poll().
  absl::Duration timeout = absl::InfiniteDuration();
};

// Connects to the AF_UNIX stream socket at `path`. Paths too long for
// sockaddr_un's sun_path are opened with O_PATH and connected to through
// /proc/self/fd/N, so any path the file system accepts works.
absl::StatusOr<UniqueFd> ConnectUnix(Syscalls& sys, absl::string_view path,
                                     const ConnectOptions& options);

// Connects to AF_VSOCK `cid`:`port`.
absl::StatusOr<UniqueFd> ConnectVsock(Syscalls& sys, uint32_t cid,
                                      uint32_t port,
                                      const ConnectOptions& options);

// Connects over TCP to `address` (an IPv4 or IPv6 literal, IPv6 with or
// without brackets and with or without a zone: "fe80::1%eth0", "fe80::1%2";
// never a name to resolve) and `port`. For machines that machined knows only
// by an SSH address. InvalidArgumentError for anything else, or a zone that
// names no interface here.
absl::StatusOr<UniqueFd> ConnectTcp(Syscalls& sys, absl::string_view address,
                                    uint16_t port, const ConnectOptions& options);

// Turns off Nagle's algorithm on the TCP socket `fd`. For a relay: every
// write it makes is a packet ssh already wrote, and Nagle would hold the
// second of two back-to-back packets until the first is acknowledged (ssh
// sets this itself on a socket it holds, for interactive sessions).
absl::Status SetTcpNoDelay(Syscalls& sys, int fd);

// Returns "unix:/run/x.sock" (C-escaped) and "vsock:4711:22": how errors and
// verbose lines name an address.
std::string UnixAddressName(absl::string_view path);
std::string VsockAddressName(uint32_t cid, uint32_t port);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_CONNECT_H_
