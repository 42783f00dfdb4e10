// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/options.h"

#include <optional>
#include <string>
#include <utility>
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

absl::Status SetDuration(absl::string_view name, absl::string_view text, bool zero_ok,
                         absl::Duration* out) {
  absl::StatusOr<absl::Duration> d = ParseTimeout(name, text, zero_ok);
  if (!d.ok()) return d.status();
  *out = *d;
  return absl::OkStatus();
}

absl::Status SetMode(absl::string_view text, Options::Mode* out) {
  constexpr std::pair<absl::string_view, Options::Mode> kModes[] = {
      {"auto", Options::Mode::kAuto},
      {"fdpass", Options::Mode::kFdpass},
      {"relay", Options::Mode::kRelay},
  };
  for (const auto& [word, mode] : kModes) {
    if (text == word) {
      *out = mode;
      return absl::OkStatus();
    }
  }
  return Usage(absl::StrCat("--mode \"", absl::CHexEscape(text),
                            "\": expected auto, fdpass or relay"));
}

// One option: its names, whether it takes a value, and what it does with
// it. The table is the whole command line but HOST PORT ORIGINAL_HOST.
struct OptionSpec {
  absl::string_view short_name;  // "" when there is none
  absl::string_view long_name;
  bool takes_value;
  absl::Status (*apply)(absl::string_view name, absl::string_view value, Options& o);
};

const OptionSpec kOptionSpecs[] = {
    {"-h", "--help", false,
     [](absl::string_view, absl::string_view, Options& o) {
       o.action = Options::Action::kHelp;
       return absl::OkStatus();
     }},
    {"-V", "--version", false,
     [](absl::string_view, absl::string_view, Options& o) {
       o.action = Options::Action::kVersion;
       return absl::OkStatus();
     }},
    {"-v", "--verbose", false,
     [](absl::string_view, absl::string_view, Options& o) {
       o.verbose = true;
       return absl::OkStatus();
     }},
    {"-n", "--dry-run", false,
     [](absl::string_view, absl::string_view, Options& o) {
       // --help and --version win, whatever the order.
       if (o.action == Options::Action::kConnect) o.action = Options::Action::kDryRun;
       return absl::OkStatus();
     }},
    {"", "--connect-timeout", true,
     [](absl::string_view name, absl::string_view v, Options& o) {
       return SetDuration(name, v, /*zero_ok=*/false, &o.connect_timeout);
     }},
    {"", "--mux-timeout", true,
     [](absl::string_view name, absl::string_view v, Options& o) {
       return SetDuration(name, v, /*zero_ok=*/false, &o.mux_timeout);
     }},
    {"", "--wait", true,
     [](absl::string_view name, absl::string_view v, Options& o) {
       return SetDuration(name, v, /*zero_ok=*/true, &o.wait);
     }},
    {"", "--mode", true,
     [](absl::string_view, absl::string_view v, Options& o) { return SetMode(v, &o.mode); }},
    {"", "--local-socket", true,
     [](absl::string_view, absl::string_view v, Options& o) {
       if (v.empty()) return Usage("--local-socket needs a path");
       o.local_socket = std::string(v);
       return absl::OkStatus();
     }},
};

const OptionSpec* FindOption(absl::string_view name) {
  for (const OptionSpec& spec : kOptionSpecs) {
    if (name == spec.long_name || (!spec.short_name.empty() && name == spec.short_name)) {
      return &spec;
    }
  }
  return nullptr;
}

// Options before the command line: what the environment says.
Options FromEnvironment(const Environment& env) {
  auto set = [](const char* v) { return v != nullptr && *v != '\0'; };
  Options options;
  options.local_socket = set(env.local_socket) ? env.local_socket
                                               : std::string(parser::kLocalHostSocket);
  if (set(env.xdg_runtime_dir)) options.user_runtime_dir = env.xdg_runtime_dir;
  if (set(env.runtime_dir)) options.system_runtime_dir = env.runtime_dir;
  if (set(env.libvirt_uri)) options.libvirt_uri = env.libvirt_uri;
  return options;
}

// Applies the option at args[*i] ("--name=value", "--name value" or a
// flag), advancing *i past a separate value.
absl::Status ApplyOption(const std::vector<std::string>& args, size_t* i, Options& options) {
  const absl::string_view arg = args[*i];
  absl::string_view name = arg;
  std::optional<absl::string_view> value;
  if (size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != absl::string_view::npos) {
    name = arg.substr(0, eq);
    value = arg.substr(eq + 1);
  }
  const OptionSpec* spec = FindOption(name);
  if (spec == nullptr) {
    return Usage(absl::StrCat("unknown option \"", absl::CHexEscape(arg), "\""));
  }
  if (!spec->takes_value && value.has_value()) {
    return Usage(absl::StrCat(name, " takes no value"));
  }
  if (spec->takes_value && !value.has_value()) {
    if (*i + 1 >= args.size()) return Usage(absl::StrCat(name, " needs a value"));
    value = args[++*i];
  }
  return spec->apply(name, value.value_or(""), options);
}

// HOST [PORT [ORIGINAL_HOST]] (see ParseOptions on ORIGINAL_HOST).
absl::Status ApplyPositional(const std::vector<absl::string_view>& positional,
                             Options& options) {
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
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& args,
                                     const Environment& env) {
  Options options = FromEnvironment(env);
  std::vector<absl::string_view> positional;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const absl::string_view arg = args[i];
    if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (absl::Status s = ApplyOption(args, &i, options); !s.ok()) {
      return s;
    }
  }
  if (options.action == Options::Action::kHelp ||
      options.action == Options::Action::kVersion) {
    return options;
  }
  if (absl::Status s = ApplyPositional(positional, options); !s.ok()) return s;
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
