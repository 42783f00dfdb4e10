// Copyright 2026 The ssh-socket-proxy Authors.
//
// The edge where an error becomes what the user reads: one line on stderr
// and an exit code, decided from the error's fields (net/error.h), never
// from its text. Lower layers return "what failed: why" with the errno, a
// reason, a hint and --wait's summary beside it; this is the only place
// they are put together:
//
//   ssh-socket-proxy: connect unix:/run/vm.sock: No such file or directory
//   (still, after 8 attempts in 4s of --wait); is the VM or container running, ...

#ifndef SSHPROXY_CLI_RENDER_H_
#define SSHPROXY_CLI_RENDER_H_

#include <string>

#include "absl/status/status.h"
#include "cli/options.h"
#include "lookup/resolve.h"

namespace sshproxy::cli {

// Marks `status` as the caller's mistake (bad option or host string): exit 2.
absl::Status AsUsageError(absl::Status status);

// kExitOk, kExitUsage for the caller's mistakes (net::Reason::kBadInput),
// else kExitFailure.
int ExitCode(const absl::Status& status);

// "ssh-socket-proxy: MESSAGE[ (WAITED)][; HINT]", the one line printed for a
// failure.
std::string ErrorLine(const absl::Status& status);

// The advice for a connect to `to` that failed with `status`, by what was
// being reached and the error's code, errno and reason; "" when there is
// none to give.
std::string ConnectHint(const absl::Status& status, const lookup::Resolved& to,
                        const Options& options);

}  // namespace sshproxy::cli

#endif  // SSHPROXY_CLI_RENDER_H_
