// Copyright 2026 The ssh-socket-proxy Authors.
//
// The command line: ssh-socket-proxy [OPTIONS] HOST [PORT [ORIGINAL_HOST]].
// Hand-parsed: Abseil's flags library would print help to stdout (which
// belongs to ssh) and registers every flag at start-up, which the hand-over
// latency pays on every ssh invocation.

#ifndef SSHPROXY_CLI_OPTIONS_H_
#define SSHPROXY_CLI_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sshproxy::cli {

// Exit codes, documented in --help and ssh-socket-proxy(1).
inline constexpr int kExitOk = 0;       // handed over (or --help, --dry-run)
inline constexpr int kExitFailure = 1;  // could not connect or hand over
inline constexpr int kExitUsage = 2;    // bad option or host string

// The environment variables the program reads (see ENVIRONMENT in the man
// page); main() reads them, everything else gets them from here.
struct Environment {
  const char* local_socket = nullptr;    // SSH_SOCKET_PROXY_LOCAL_SOCKET
  const char* xdg_runtime_dir = nullptr; // XDG_RUNTIME_DIR: the user's machined
  const char* runtime_dir = nullptr;     // SSH_SOCKET_PROXY_RUNTIME_DIR: instead of /run
  const char* libvirt_uri = nullptr;     // SSH_SOCKET_PROXY_LIBVIRT_URI: qemu/'s only URI
};

// --connect-timeout's default.
inline constexpr absl::Duration kDefaultConnectTimeout = absl::Seconds(10);

struct Options {
  enum class Action { kConnect, kDryRun, kHelp, kVersion };
  Action action = Action::kConnect;
  bool verbose = false;

  // The host string to parse: HOST, or ORIGINAL_HOST when that is HOST with
  // its case intact (see ParseOptions).
  std::string host;
  std::string port = "22";

  // How the connection reaches ssh: kAuto passes the descriptor when stdout
  // is an AF_UNIX socket (ProxyUseFdpass) and relays bytes otherwise.
  enum class Mode { kAuto, kFdpass, kRelay };
  Mode mode = Mode::kAuto;

  // Bound on each connect. A listener that never accepts (hung, or its
  // backlog full) would otherwise block the proxy, and ssh with it, forever:
  // with ProxyUseFdpass ssh's own ConnectTimeout does not cover the proxy.
  absl::Duration connect_timeout = kDefaultConnectTimeout;
  // How long a vsock multiplexer may take to answer CONNECT.
  absl::Duration mux_timeout = absl::Seconds(5);
  // Keep retrying a guest that is still booting (its machined record, its
  // socket, its sshd) for this long; zero (--wait=0, the default): don't.
  absl::Duration wait = absl::ZeroDuration();
  // The socket of `.host`.
  std::string local_socket;
  // Where the user's and the system's systemd-machined listen (machine/NAME),
  // and the nspawn unix-export directories live. Empty user dir: no user scope.
  std::string user_runtime_dir;
  std::string system_runtime_dir = "/run";
  // qemu/NAME: the one libvirt connection to ask; empty: qemu:///system,
  // then qemu:///session.
  std::string libvirt_uri;
};

// Parses argv (without argv[0]) with `env`; --local-socket wins over
// SSH_SOCKET_PROXY_LOCAL_SOCKET.
//
// ssh lowercases a host name that contains "/" before it expands %h, so
// unix/run/VM.sock arrives as unix/run/vm.sock; %n is the name as typed.
// When ORIGINAL_HOST equals HOST ignoring ASCII case, ORIGINAL_HOST is used;
// when it differs (a HostName alias), HOST is.
//
// Returns InvalidArgumentError with a one-line message on bad usage.
absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& args,
                                     const Environment& env);

// The --help text (for stderr).
std::string UsageText();

// "ssh-socket-proxy 0.1.0".
std::string VersionText();

}  // namespace sshproxy::cli

#endif  // SSHPROXY_CLI_OPTIONS_H_
