// Copyright 2026 The ssh-socket-proxy Authors.

#include "parser/target.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"

namespace sshproxy::parser {
namespace {

// Quotes untrusted text for an error message: one line, printable.
std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

absl::Status Invalid(absl::string_view what, absl::string_view text,
                     absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, " ", Quote(text), ": ",
                                                 why));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// What a number means, for its error messages and limits.
struct NumberSpec {
  absl::string_view what;      // "vsock CID", "port"
  bool allow_hex;              // 0x / 0X accepted
  absl::string_view wildcard;  // the name of 0xffffffff
};

constexpr NumberSpec kCidSpec = {"vsock CID", true, "VMADDR_CID_ANY"};
constexpr NumberSpec kPortSpec = {"port", false, "VMADDR_PORT_ANY"};

// The checks before any digit is read: what a number must not be.
absl::Status CheckNumberText(const NumberSpec& spec, absl::string_view text) {
  if (text.empty()) return Invalid(spec.what, text, "is empty");
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return Invalid(spec.what, text, "whitespace is not allowed");
    }
  }
  if (text[0] == '+' || text[0] == '-') {
    return Invalid(spec.what, text, "signs are not allowed");
  }
  if (text == "any") {
    return Invalid(spec.what, text,
                   absl::StrCat(spec.wildcard, " is a wildcard, not an address"));
  }
  return absl::OkStatus();
}

// The value of `digits` in `base`, saturated just above 0xffffffff (the
// exact value no longer matters there); an error for a non-digit.
absl::StatusOr<uint64_t> SumDigits(const NumberSpec& spec, absl::string_view text,
                                   absl::string_view digits, int base) {
  uint64_t value = 0;
  for (char c : digits) {
    int digit;
    if (IsDigit(c)) {
      digit = c - '0';
    } else if (base == 16 && absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      digit = absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    } else if (base == 16) {
      return Invalid(spec.what, text, "not a hexadecimal number");
    } else {
      return Invalid(spec.what, text,
                     spec.allow_hex
                         ? "not a number (decimal, 0x-hexadecimal or one of "
                           "hypervisor, local, host)"
                         : "not a decimal number");
    }
    // Stop before uint64_t could overflow.
    value = std::min<uint64_t>(value * static_cast<uint64_t>(base) + digit,
                               0xffffffffull + 1);
  }
  return value;
}

// A decimal with leading zeros: systemd parses with base 0, so "010" is 8
// there; nobody means that. Says what to write instead.
absl::Status LeadingZeros(const NumberSpec& spec, absl::string_view text,
                          absl::string_view digits, bool too_large) {
  bool octal = digits.find_first_of("89") == absl::string_view::npos;
  uint64_t octal_value = 0;
  for (char c : digits) octal_value = octal_value * 8 + (c - '0');
  if (spec.allow_hex && octal && !too_large && octal_value <= kMaxVsockNumber) {
    return Invalid(spec.what, text,
                   absl::StrCat("leading zeros are ambiguous (octal?); write ",
                                octal_value, " or 0x", absl::Hex(octal_value)));
  }
  absl::string_view trimmed =
      digits.substr(std::min(digits.find_first_not_of('0'), digits.size() - 1));
  return Invalid(spec.what, text,
                 absl::StrCat("leading zeros are not allowed; write ", trimmed));
}

// Parses a number with nothing around it. absl::SimpleAtoi would accept
// whitespace and signs, and strtoul's base 0 reads "010" as octal; so the
// characters are checked first and the digits summed here.
absl::StatusOr<uint32_t> ParseNumber(const NumberSpec& spec,
                                     absl::string_view text) {
  if (absl::Status s = CheckNumberText(spec, text); !s.ok()) return s;
  int base = 10;
  absl::string_view digits = text;
  if (spec.allow_hex && (absl::StartsWith(text, "0x") ||
                         absl::StartsWith(text, "0X"))) {
    base = 16;
    digits.remove_prefix(2);
    if (digits.empty()) {
      return Invalid(spec.what, text, "no hexadecimal digits after \"0x\"");
    }
  }
  absl::StatusOr<uint64_t> value = SumDigits(spec, text, digits, base);
  if (!value.ok()) return value.status();
  const bool too_large = *value > 0xffffffffull;
  if (base == 10 && digits.size() > 1 && digits[0] == '0') {
    return LeadingZeros(spec, text, digits, too_large);
  }
  if (too_large) {
    return Invalid(spec.what, text,
                   absl::StrCat("out of range (0 to ", kMaxVsockNumber, ")"));
  }
  if (*value == 0xffffffffull) {
    return Invalid(spec.what, text,
                   absl::StrCat(spec.wildcard, " (4294967295) is a wildcard, "
                                               "not an address"));
  }
  return static_cast<uint32_t>(*value);
}

absl::StatusOr<uint32_t> ParseCid(absl::string_view text) {
  // The names systemd's vsock_parse_cid() knows (VMADDR_CID_HYPERVISOR, _LOCAL,
  // _HOST).
  if (text == "hypervisor") return 0;
  if (text == "local") return 1;
  if (text == "host") return 2;
  return ParseNumber(kCidSpec, text);
}

// unix/ and vsock-mux/ paths: as given from "/" or "./", else rooted at "/".
absl::StatusOr<std::string> ParsePath(absl::string_view prefix,
                                      absl::string_view rest) {
  if (rest.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, " path is empty; write ", prefix, "/PATH, e.g. ", prefix,
        "/run/vm.sock"));
  }
  if (absl::StartsWith(rest, "/") || absl::StartsWith(rest, "./")) {
    return std::string(rest);
  }
  return absl::StrCat("/", rest);
}

// A machine name as systemd-machined accepts it: a host name of dot-separated
// labels of letters, digits, "-" and "_", at most 64 characters (HOST_NAME_MAX).
absl::StatusOr<std::string> ParseMachineName(absl::string_view name) {
  static const RE2* const kHostName =
      new RE2(R"([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)");
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "machine name is empty; write machine/NAME, as machinectl lists it");
  }
  if (name.size() > 64) {
    return Invalid("machine name", name, "longer than 64 characters");
  }
  // Debian's RE2 (2022) takes its own StringPiece, not absl::string_view.
  if (!RE2::FullMatch(re2::StringPiece(name.data(), name.size()), *kHostName)) {
    return Invalid("machine name", name,
                   "not a valid machine name (letters, digits, \"-\" and \"_\", "
                   "in labels joined by single dots)");
  }
  return std::string(name);
}

// A libvirt domain as a qemu/ host string may name it. libvirt itself takes
// almost any name; these are the characters an ssh host name can carry
// without quoting (OpenSSH refuses quotes, "$", "\\" and the like in host
// names) and that need no escaping in messages, which covers UUIDs, IDs and
// the names virt-manager and GNOME Boxes generate.
absl::StatusOr<std::string> ParseDomain(absl::string_view domain) {
  static const RE2* const kDomain = new RE2(R"([A-Za-z0-9_.+-]+)");
  if (domain.empty()) {
    return absl::InvalidArgumentError(
        "qemu domain is empty; write qemu/NAME, as virsh list shows it");
  }
  if (domain.size() > 255) {
    return Invalid("qemu domain", domain, "longer than 255 characters");
  }
  if (!RE2::FullMatch(re2::StringPiece(domain.data(), domain.size()), *kDomain)) {
    return Invalid("qemu domain", domain,
                   "not a domain name, UUID or ID this proxy accepts (letters, "
                   "digits, \"-\", \"_\", \".\" and \"+\")");
  }
  return std::string(domain);
}

enum class Prefix { kUnix, kVsock, kVsockMux, kMachine, kQemu, kQemuSystem,
                    kQemuSession };

struct PrefixName {
  absl::string_view name;
  Prefix prefix;
};

constexpr PrefixName kPrefixes[] = {
    {"unix", Prefix::kUnix},
    {"vsock", Prefix::kVsock},
    {"vsock-mux", Prefix::kVsockMux},
    {"machine", Prefix::kMachine},
    // The longer qemu prefixes first: UnknownHost names the first that fits.
    {"qemu:system", Prefix::kQemuSystem},
    {"qemu:session", Prefix::kQemuSession},
    {"qemu", Prefix::kQemu},
};

constexpr absl::string_view kGrammar =
    "expected unix/PATH, vsock/CID, vsock-mux/PATH, machine/NAME, qemu/NAME "
    "or .host";

absl::Status UnknownHost(absl::string_view host) {
  // libvirt-ssh-proxy knows two connections; name them rather than the
  // separator.
  if (absl::StartsWith(host, "qemu:")) {
    absl::string_view uri = host.substr(0, host.find_first_of("/%"));
    if (uri != "qemu:system" && uri != "qemu:session") {
      return Invalid("host", host,
                     absl::StrCat("unknown libvirt connection ",
                                  Quote(uri.substr(5)),
                                  ": write qemu:system/NAME, qemu:session/NAME "
                                  "or qemu/NAME (both)"));
    }
  }
  for (const PrefixName& p : kPrefixes) {
    // Catch "unix:..." and "UNIX/..." with a precise hint.
    if (host.size() > p.name.size() &&
        absl::StartsWithIgnoreCase(host, p.name)) {
      char sep = host[p.name.size()];
      if (sep == '/' || sep == '%') {
        return Invalid("host", host,
                       absl::StrCat("prefixes are lowercase: write ", p.name,
                                    absl::string_view(&sep, 1), "..."));
      }
    }
    if (host == p.name || (absl::StartsWith(host, p.name) &&
                           host.size() > p.name.size() &&
                           host[p.name.size()] != '-')) {
      return Invalid("host", host,
                     absl::StrCat("expected \"/\" or \"%\" after \"", p.name,
                                  "\""));
    }
  }
  return Invalid("host", host, kGrammar);
}

}  // namespace

bool operator==(const UnixSocket& a, const UnixSocket& b) {
  return a.path == b.path;
}
bool operator==(const Vsock& a, const Vsock& b) {
  return a.cid == b.cid && a.port == b.port;
}
bool operator==(const VsockMux& a, const VsockMux& b) {
  return a.path == b.path && a.port == b.port;
}
bool operator==(const Machine& a, const Machine& b) {
  return a.name == b.name && a.port == b.port;
}
bool operator==(const Qemu& a, const Qemu& b) {
  return a.scope == b.scope && a.domain == b.domain && a.port == b.port;
}
bool operator==(const LocalHost&, const LocalHost&) { return true; }
bool operator!=(const UnixSocket& a, const UnixSocket& b) { return !(a == b); }
bool operator!=(const Vsock& a, const Vsock& b) { return !(a == b); }
bool operator!=(const VsockMux& a, const VsockMux& b) { return !(a == b); }
bool operator!=(const Machine& a, const Machine& b) { return !(a == b); }
bool operator!=(const Qemu& a, const Qemu& b) { return !(a == b); }
bool operator!=(const LocalHost& a, const LocalHost& b) { return !(a == b); }

namespace {

// What follows prefix `p` ("unix", "vsock", ...) in the host string, with
// ssh's %p as `port`.
absl::StatusOr<Target> ParseAfterPrefix(Prefix p, absl::string_view rest,
                                        absl::string_view port) {
  if (p == Prefix::kUnix) {
    absl::StatusOr<std::string> path = ParsePath("unix", rest);
    if (!path.ok()) return path.status();
    return UnixSocket{*std::move(path)};
  }
  if (p == Prefix::kMachine && rest == ".host") return LocalHost{};
  absl::StatusOr<uint32_t> number = ParseNumber(kPortSpec, port);
  switch (p) {
    case Prefix::kVsock: {
      absl::StatusOr<uint32_t> cid = ParseCid(rest);
      if (!cid.ok()) return cid.status();
      if (!number.ok()) return number.status();
      return Vsock{*cid, *number};
    }
    case Prefix::kVsockMux: {
      absl::StatusOr<std::string> path = ParsePath("vsock-mux", rest);
      if (!path.ok()) return path.status();
      if (!number.ok()) return number.status();
      return VsockMux{*std::move(path), *number};
    }
    case Prefix::kMachine: {
      absl::StatusOr<std::string> name = ParseMachineName(rest);
      if (!name.ok()) return name.status();
      if (!number.ok()) return number.status();
      return Machine{*std::move(name), *number};
    }
    default:
      break;
  }
  absl::StatusOr<std::string> domain = ParseDomain(rest);
  if (!domain.ok()) return domain.status();
  if (!number.ok()) return number.status();
  const QemuScope scope = p == Prefix::kQemuSystem    ? QemuScope::kSystem
                          : p == Prefix::kQemuSession ? QemuScope::kSession
                                                      : QemuScope::kAny;
  return Qemu{scope, *std::move(domain), *number};
}

}  // namespace

absl::StatusOr<Target> ParseTarget(absl::string_view host,
                                   absl::string_view port) {
  if (host.find('\0') != absl::string_view::npos) {
    return Invalid("host", host, "contains a NUL byte");
  }
  if (host == ".host") return LocalHost{};

  const PrefixName* match = nullptr;
  absl::string_view rest;
  for (const PrefixName& p : kPrefixes) {
    if (host.size() > p.name.size() && absl::StartsWith(host, p.name) &&
        (host[p.name.size()] == '/' || host[p.name.size()] == '%')) {
      match = &p;
      rest = host.substr(p.name.size() + 1);
    }
  }
  if (match == nullptr) return UnknownHost(host);
  return ParseAfterPrefix(match->prefix, rest, port);
}

namespace {

// The inverse of ParsePath: "unix/run/x" when that reads back as "/run/x",
// else the path after an explicit separator ("unix///x", "unix/./x",
// "unix//./x"; the last is /./x, where "unix/./x" would be ./x).
std::string FormatPath(absl::string_view prefix, absl::string_view path) {
  absl::string_view rest = path.substr(std::min<size_t>(1, path.size()));
  if (absl::StartsWith(path, "/") && !rest.empty() &&
      !absl::StartsWith(rest, "/") && !absl::StartsWith(rest, "./")) {
    return absl::StrCat(prefix, path);
  }
  return absl::StrCat(prefix, "/", path);
}

absl::string_view QemuPrefix(QemuScope scope) {
  switch (scope) {
    case QemuScope::kSystem: return "qemu:system/";
    case QemuScope::kSession: return "qemu:session/";
    case QemuScope::kAny: break;
  }
  return "qemu/";
}

absl::string_view QemuUris(QemuScope scope) {
  switch (scope) {
    case QemuScope::kSystem: return "qemu:///system";
    case QemuScope::kSession: return "qemu:///session";
    case QemuScope::kAny: break;
  }
  return "qemu:///system or qemu:///session";
}

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

std::string FormatTarget(const Target& target) {
  return std::visit(
      Overloaded{
          [](const UnixSocket& t) { return FormatPath("unix", t.path); },
          [](const Vsock& t) { return absl::StrCat("vsock/", t.cid); },
          [](const VsockMux& t) { return FormatPath("vsock-mux", t.path); },
          [](const Machine& t) { return absl::StrCat("machine/", t.name); },
          [](const LocalHost&) { return std::string(".host"); },
          [](const Qemu& t) { return absl::StrCat(QemuPrefix(t.scope), t.domain); },
      },
      target);
}

std::string FormatPort(const Target& target) {
  return std::visit(
      Overloaded{
          [](const UnixSocket&) { return std::string(); },
          [](const Vsock& t) { return absl::StrCat(t.port); },
          [](const VsockMux& t) { return absl::StrCat(t.port); },
          [](const Machine& t) { return absl::StrCat(t.port); },
          [](const LocalHost&) { return std::string(); },
          [](const Qemu& t) { return absl::StrCat(t.port); },
      },
      target);
}

std::string DescribeTarget(const Target& target) {
  return std::visit(
      Overloaded{
          [](const UnixSocket& t) {
            return absl::StrCat("unix ", absl::CHexEscape(t.path));
          },
          [](const Vsock& t) {
            return absl::StrCat("vsock cid=", t.cid, " port=", t.port);
          },
          [](const VsockMux& t) {
            return absl::StrCat("vsock-mux ", absl::CHexEscape(t.path),
                                " port=", t.port);
          },
          [](const Machine& t) {
            return absl::StrCat("machine ", t.name, " port=", t.port);
          },
          [](const LocalHost&) {
            return absl::StrCat("local host ", kLocalHostSocket);
          },
          [](const Qemu& t) {
            return absl::StrCat("qemu ", t.domain, " (", QemuUris(t.scope),
                                ") port=", t.port);
          },
      },
      target);
}

}  // namespace sshproxy::parser
