// Copyright 2026 The ssh-socket-proxy Authors.
//
// How the connection reaches ssh, decided before connecting (a connection
// that cannot be handed over would wake the guest's sshd for nothing): the
// descriptor is handed over when stdout is ssh's end of a socketpair
// (ProxyUseFdpass), else bytes are relayed between stdin/stdout and it.
// Internal to //cli:run.

#ifndef SSHPROXY_CLI_MODE_H_
#define SSHPROXY_CLI_MODE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/options.h"
#include "cli/run.h"
#include "net/syscalls.h"

namespace sshproxy::cli {

// Whether to hand the connection over (true) or relay it (false), by
// --mode and what `io.out` is. FailedPreconditionError when --mode=fdpass
// cannot be honoured or, with --mode=auto, when the peer of a socket on
// stdout cannot be told.
absl::StatusOr<bool> DecideFdpass(net::Syscalls& sys, const Options& options, const Io& io);

// FailedPreconditionError when a standard descriptor the chosen mode needs
// is closed (main() filled closed ones with /dev/null; they arrive as -1).
absl::Status CheckStandardFds(const Io& io, bool fdpass);

}  // namespace sshproxy::cli

#endif  // SSHPROXY_CLI_MODE_H_
