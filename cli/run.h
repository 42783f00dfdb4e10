// Copyright 2026 The ssh-socket-proxy Authors.
//
// Run(): the whole program once the command line is parsed. It only
// assembles: the host string is parsed (//parser), a name becomes an address
// (//lookup), the address is connected to and the connection handed to ssh
// or relayed (//net); errors come back with their fields, and become one
// line and an exit code at the edge (cli/render.h).

#ifndef SSHPROXY_CLI_RUN_H_
#define SSHPROXY_CLI_RUN_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/options.h"
#include "cli/render.h"
#include "lookup/process.h"

namespace sshproxy::cli {

// Where Run() talks. Lines never end in "\n"; the callee adds it.
struct Io {
  // ssh's end of the socketpair (with ProxyUseFdpass), or the pipes to relay
  // between. -1: the caller closed it (main() filled it with /dev/null).
  int in = 0;
  int out = 1;  // the channel the connection is handed over on
  // Output the user asked for (--dry-run). Goes to stderr, never stdout.
  std::function<void(absl::string_view)> print;
  // --verbose lines; empty when not verbose.
  std::function<void(absl::string_view)> debug;
};

// Returns OK once the connection was handed over or relayed to its end (or
// the dry run printed). With --mode=auto it hands over iff `io.out` is an
// AF_UNIX socket whose peer is ssh (net::PeerIsSsh), and relays otherwise;
// with --wait, the machine/NAME lookup is retried along with the connect.
// Errors carry one line that says what failed and why, with a hint for the
// common cases; cli/render.h's ErrorLine() and ExitCode() turn them into
// the line and the documented exit code.
absl::Status Run(lookup::ProcessSyscalls& sys, const Options& options, const Io& io);

}  // namespace sshproxy::cli

#endif  // SSHPROXY_CLI_RUN_H_
