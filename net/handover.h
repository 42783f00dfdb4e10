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
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/syscalls.h"

namespace sshproxy::net {

// Returns true iff `fd` is an AF_UNIX socket, i.e. a channel that can carry a
// descriptor (ssh with ProxyUseFdpass gives the proxy one as stdout). Fails
// only when `fd` is not open at all.
absl::StatusOr<bool> IsUnixSocket(Syscalls& sys, int fd);

// Returns true iff the process at the other end of the AF_UNIX socket `fd` is
// named "ssh" (its SO_PEERCRED pid's /proc/PID/comm). OpenSSH's
// ssh_proxy_fdpass_connect() makes a socketpair, gives one end to the
// ProxyCommand as stdin and stdout and keeps the other: the peer is ssh
// itself. socat's EXEC, Python's subprocess and others give a socketpair too,
// and would never read a descriptor sent to them; without ProxyUseFdpass ssh
// gives pipes. Fails (FailedPreconditionError) when the peer cannot be
// named: no pid (a peer in another pid namespace), no /proc.
absl::StatusOr<bool> PeerIsSsh(Syscalls& sys, int fd);

// How long SendFd waits for room on the channel. A fresh socketpair takes
// the byte and the descriptor at once and ssh reads them as soon as it has
// started us; the bound is for a peer that is not ssh and never reads.
inline constexpr absl::Duration kHandOverTimeout = absl::Seconds(10);

// Sends `fd` over `channel` with SCM_RIGHTS and exactly one data byte (NUL),
// retrying on EINTR and waiting on EAGAIN at most kHandOverTimeout
// (DeadlineExceededError, with waiting-helps false). Never raises SIGPIPE
// and never blocks in sendmsg (MSG_DONTWAIT).
absl::Status SendFd(Syscalls& sys, int channel, int fd);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_HANDOVER_H_
