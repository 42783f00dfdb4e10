// Copyright 2026 The ssh-socket-proxy Authors.
//
// Handing a connected socket to ssh: OpenSSH's ProxyUseFdpass. ssh makes one
// end of a socketpair the proxy's stdin and stdout, receives the descriptor
// with mm_receive_fd() (which reads exactly one data byte along with it), and
// waits for the proxy to exit.

#ifndef SSHPROXY_NET_HANDOVER_H_
#define SSHPROXY_NET_HANDOVER_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/syscalls.h"

namespace sshproxy::net {

// Returns true iff `fd` is an AF_UNIX socket, i.e. a channel that can carry a
// descriptor (ssh with ProxyUseFdpass gives the proxy one as stdout). Fails
// only when `fd` is not open at all.
absl::StatusOr<bool> IsUnixSocket(Syscalls& sys, int fd);

// Sends `fd` over `channel` with SCM_RIGHTS and exactly one data byte (NUL),
// retrying on EINTR and waiting on EAGAIN. Never raises SIGPIPE.
absl::Status SendFd(Syscalls& sys, int channel, int fd);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_HANDOVER_H_
