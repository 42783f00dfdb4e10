// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/options.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "parser/target.h"

namespace sshproxy::cli {
namespace {

absl::Status Usage(absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(why, " (see ssh-socket-proxy --help)"));
}

// True iff `text` is a plain number of seconds: digits, then optionally a
// "." and more digits ("10", "0.5"). Checked by hand: absl's parsers would
// also take spaces and signs.
bool IsPlainSeconds(absl::string_view text) {
  const size_t dot = text.find('.');
  const absl::string_view whole = text.substr(0, dot);
  const absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view("0") : text.substr(dot + 1);
  auto digits = [](absl::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == absl::string_view::npos;
  };
  return digits(whole) && digits(fraction);
}

// "30s", "1.5s", "500ms", "2m", or plain seconds ("10", as ssh's
// ConnectTimeout takes them, or "0.5"), the same for every duration option.
// Zero only where it means "don't" (`zero_ok`).
absl::StatusOr<absl::Duration> ParseTimeout(absl::string_view flag,
                                            absl::string_view text,
                                            bool zero_ok = false) {
  absl::Duration d;
  if (IsPlainSeconds(text)) {
    if (!absl::ParseDuration(absl::StrCat(text, "s"), &d) ||
        d == absl::InfiniteDuration()) {
      return Usage(absl::StrCat(flag, " \"", absl::CHexEscape(text), "\": too large"));
    }
  } else if (!absl::ParseDuration(text, &d) || d == absl::InfiniteDuration()) {
    return Usage(absl::StrCat(flag, " \"", absl::CHexEscape(text),
                              "\": not a duration (e.g. 10s, 500ms, 2m)"));
  }
  if (d < absl::ZeroDuration() || (d == absl::ZeroDuration() && !zero_ok)) {
    return Usage(absl::StrCat(flag, " \"", absl::CHexEscape(text), "\": ",
                              zero_ok ? "must not be negative" : "must be positive"));
  }
  return d;
}

}  // namespace

absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& args,
                                     const Environment& env) {
  auto set = [](const char* v) { return v != nullptr && *v != '\0'; };
  Options options;
  options.local_socket = set(env.local_socket) ? env.local_socket
                                               : std::string(parser::kLocalHostSocket);
  if (set(env.xdg_runtime_dir)) options.user_runtime_dir = env.xdg_runtime_dir;
  if (set(env.runtime_dir)) options.system_runtime_dir = env.runtime_dir;
  if (set(env.libvirt_uri)) options.libvirt_uri = env.libvirt_uri;
  std::vector<absl::string_view> positional;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    // --name=value or --name value.
    absl::string_view name = arg;
    absl::string_view value;
    bool has_value = false;
    if (size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto take_value = [&]() -> absl::StatusOr<absl::string_view> {
      if (has_value) return value;
      if (i + 1 >= args.size()) return Usage(absl::StrCat(name, " needs a value"));
      return absl::string_view(args[++i]);
    };
    auto no_value = [&]() -> absl::Status {
      return has_value ? Usage(absl::StrCat(name, " takes no value")) : absl::OkStatus();
    };

    if (name == "-h" || name == "--help") {
      if (absl::Status s = no_value(); !s.ok()) return s;
      options.action = Options::Action::kHelp;
    } else if (name == "-V" || name == "--version") {
      if (absl::Status s = no_value(); !s.ok()) return s;
      options.action = Options::Action::kVersion;
    } else if (name == "-v" || name == "--verbose") {
      if (absl::Status s = no_value(); !s.ok()) return s;
      options.verbose = true;
    } else if (name == "-n" || name == "--dry-run") {
      if (absl::Status s = no_value(); !s.ok()) return s;
      if (options.action == Options::Action::kConnect) {
        options.action = Options::Action::kDryRun;
      }
    } else if (name == "--connect-timeout") {
      absl::StatusOr<absl::string_view> v = take_value();
      if (!v.ok()) return v.status();
      absl::StatusOr<absl::Duration> d = ParseTimeout(name, *v);
      if (!d.ok()) return d.status();
      options.connect_timeout = *d;
    } else if (name == "--mux-timeout" || name == "--wait") {
      absl::StatusOr<absl::string_view> v = take_value();
      if (!v.ok()) return v.status();
      absl::StatusOr<absl::Duration> d =
          ParseTimeout(name, *v, /*zero_ok=*/name == "--wait");
      if (!d.ok()) return d.status();
      (name == "--wait" ? options.wait : options.mux_timeout) = *d;
    } else if (name == "--mode") {
      absl::StatusOr<absl::string_view> v = take_value();
      if (!v.ok()) return v.status();
      if (*v == "auto") {
        options.mode = Options::Mode::kAuto;
      } else if (*v == "fdpass") {
        options.mode = Options::Mode::kFdpass;
      } else if (*v == "relay") {
        options.mode = Options::Mode::kRelay;
      } else {
        return Usage(absl::StrCat("--mode \"", absl::CHexEscape(*v),
                                  "\": expected auto, fdpass or relay"));
      }
    } else if (name == "--local-socket") {
      absl::StatusOr<absl::string_view> v = take_value();
      if (!v.ok()) return v.status();
      if (v->empty()) return Usage("--local-socket needs a path");
      options.local_socket = std::string(*v);
    } else {
      return Usage(absl::StrCat("unknown option \"", absl::CHexEscape(arg), "\""));
    }
  }

  if (options.action == Options::Action::kHelp ||
      options.action == Options::Action::kVersion) {
    return options;
  }
  if (positional.empty()) return Usage("missing HOST");
  if (positional.size() > 3) {
    return Usage(absl::StrCat("unexpected argument \"",
                              absl::CHexEscape(positional[3]),
                              "\"; usage: ssh-socket-proxy [OPTIONS] HOST [PORT "
                              "[ORIGINAL_HOST]]"));
  }
  options.host = std::string(positional[0]);
  if (positional.size() > 1) options.port = std::string(positional[1]);
  if (positional.size() > 2 && absl::EqualsIgnoreCase(positional[2], positional[0])) {
    options.host = std::string(positional[2]);
  }
  return options;
}

std::string UsageText() {
  return R"(usage: ssh-socket-proxy [OPTIONS] HOST [PORT [ORIGINAL_HOST]]

An ssh ProxyCommand for AF_UNIX and AF_VSOCK sockets. In ssh_config:
  ProxyCommand ssh-socket-proxy %h %p %n
  ProxyUseFdpass yes

HOST:
  unix/PATH        AF_UNIX socket /PATH (unix//abs and unix/./rel as given)
  vsock/CID        AF_VSOCK CID (decimal, 0x hex, hypervisor, local, host), port PORT
  vsock-mux/PATH   Firecracker / cloud-hypervisor vsock multiplexer socket,
                   guest port PORT
  machine/NAME     a VM or container registered with systemd-machined
  qemu/NAME        a libvirt domain (name, UUID or ID) with a vsock device;
                   qemu:system/NAME, qemu:session/NAME ask only that one
  .host            the local host's sshd (/run/ssh-unix-local/socket)
  "%" may replace the "/" after the prefix (unix%run/VM.sock).

PORT defaults to 22. ORIGINAL_HOST (ssh's %n) restores the case that ssh
lowers in %h when it matches HOST ignoring case.

Options:
  -h, --help                 this text
  -V, --version              the version
  -v, --verbose              say what was parsed, connected and handed over
  -n, --dry-run              print what HOST resolves to (machine/NAME asks
                             systemd-machined, qemu/NAME runs the helper,
                             which asks libvirt); connect to nothing else
  --mode=auto|fdpass|relay   hand the socket to ssh (fdpass: ssh's
                             ProxyUseFdpass) or copy bytes between stdin/stdout
                             and it (relay); auto (default): fdpass when stdout
                             is an AF_UNIX socket whose peer is a process named
                             ssh, relay otherwise
  --wait=DURATION            retry while the guest is still booting (machine
                             not registered yet, socket missing, refused,
                             reset, timed out) for this long; 0: don't (default)
  --connect-timeout=DURATION give up on a connect, machined call or qemu/
                             lookup that nothing answers after this long (10s,
                             500ms, 2m; plain numbers are seconds); default
                             10s; a qemu/ lookup gets at least 1s
  --mux-timeout=DURATION     how long a vsock-mux may take to answer CONNECT
                             before it is taken for one that sends no OK
                             line (default 5s)
  --local-socket=PATH        the socket of .host (also from
                             $SSH_SOCKET_PROXY_LOCAL_SOCKET)

machine/NAME asks systemd-machined: the user's ($XDG_RUNTIME_DIR) first,
then the system's (/run, or $SSH_SOCKET_PROXY_RUNTIME_DIR).
qemu/NAME asks libvirt at qemu:///system, then qemu:///session (not as
root), or only at $SSH_SOCKET_PROXY_LIBVIRT_URI when that is set, through
the helper ssh-socket-proxy-libvirt (needs libvirt0).

Everything this program prints goes to stderr: stdout belongs to ssh.

Exit status: 0 connection handed over, or relayed to its end (or
--help/--version/--dry-run), 1 could not connect, hand over or relay
(also: timed out, stdin or stdout closed), 2 bad option or host string.
)";
}

std::string VersionText() { return "ssh-socket-proxy 0.1.0"; }

}  // namespace sshproxy::cli
