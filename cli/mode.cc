// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/mode.h"

#include "absl/strings/str_cat.h"
#include "net/handover.h"

namespace sshproxy::cli {

// Whether to hand the connection over (true) or relay it (false), decided
// before connecting: a connection that cannot be handed over would wake the
// guest's sshd for nothing.
absl::StatusOr<bool> DecideFdpass(net::Syscalls& sys, const Options& options,
                                  const Io& io) {
  if (options.mode == Options::Mode::kRelay) return false;
  absl::StatusOr<bool> is_socket = net::IsUnixSocket(sys, io.out);
  if (!is_socket.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("stdout: ", is_socket.status().message()));
  }
  if (options.mode == Options::Mode::kFdpass) {
    if (*is_socket) return true;
    return absl::FailedPreconditionError(
        "stdout is not a socket, so the connection cannot be handed over: run "
        "this from ssh with 'ProxyUseFdpass yes', or use --mode=relay");
  }
  if (!*is_socket) return false;
  // A socketpair from anybody but ssh would swallow the descriptor unread.
  absl::StatusOr<bool> ssh = net::PeerIsSsh(sys, io.out);
  if (!ssh.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stdout is a socket, but whether ssh is at its other end cannot be told (",
        ssh.status().message(), "): use --mode=fdpass under ssh's ProxyUseFdpass, "
        "--mode=relay for anything else"));
  }
  return *ssh;
}

// The standard descriptors the chosen mode needs. Closed ones were filled
// with /dev/null at start (net/standard_fds.h) and arrive here as -1.
absl::Status CheckStandardFds(const Io& io, bool fdpass) {
  if (io.out < 0) {
    return absl::FailedPreconditionError(
        "stdout is closed, so the connection has nowhere to go: run this as "
        "ssh's ProxyCommand, or with stdout open");
  }
  if (io.in < 0 && !fdpass) {
    return absl::FailedPreconditionError(
        "stdin is closed, so there is nothing to relay: run this as ssh's "
        "ProxyCommand, or with stdin open (</dev/null sends nothing)");
  }
  return absl::OkStatus();
}

}  // namespace sshproxy::cli
