// Copyright 2026 The ssh-socket-proxy Authors.
//
// ListenStream= addresses as systemd's socket_address_parse() reads the
// systemd.ssh_listen= values, printed back in one canonical form so that the
// same address given twice makes one socket.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "generator/generator.h"

namespace sshproxy::generator {
namespace {

// Plain decimal, no sign, no leading zero (systemd would read 022 as octal),
// at most MAX.
bool ParseDecimal(absl::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  if (s.size() > 1 && s[0] == '0') return false;
  return absl::SimpleAtoi(s, out) && *out <= max;
}

absl::Status Invalid(absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", absl::CEscape(value), "': ", why));
}

// sun_path holds the path and its NUL (an abstract name has no NUL but
// starts with one, which '@' stands for).
absl::Status CheckUnixLength(absl::string_view value, absl::string_view path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Invalid(value, "AF_UNIX path longer than 107 bytes");
  }
  return absl::OkStatus();
}

// What other programs keep directly below /run: systemd removes whatever is
// at a socket's path before it binds, so a socket there would take a live
// socket or file away (the journal's, the bus's, udev's, a user session's,
// the container manager's, sshd's pid file; /run/nologin would even lock
// users out). Matched on the first component below /run.
constexpr absl::string_view kSystemRunEntries[] = {
    "credentials", "dbus", "host", "initctl", "lock", "log", "mount",
    "nologin",     "sshd", "sshd.pid", "systemd", "udev", "user", "utmp"};

// The export directory below /run/host is there for sockets like ours to be
// reached from the host: the automatic one (systemd's own writes it too) and
// any other an admin names, say after systemd.ssh_auto=no.
absl::Status CheckSystemRunEntry(absl::string_view value,
                                 absl::string_view path,
                                 absl::string_view entry) {
  if (absl::StartsWith(path, kUnixExportDir)) return absl::OkStatus();
  for (absl::string_view system : kSystemRunEntries) {
    if (entry == system) {
      return Invalid(value, absl::StrCat("/run/", entry,
                                         " belongs to the system (systemd "
                                         "would remove what is there)"));
    }
  }
  return absl::OkStatus();
}

// One spelling per path: "//" and "/./" collapse, a trailing '/' goes,
// /var/run/ is /run/ (a symlink on every systemd system). Only paths under
// /run/ are taken: systemd removes whatever is at the path before it binds,
// so systemd.ssh_listen=/etc/shadow would delete that file.
absl::StatusOr<std::string> UnixPath(absl::string_view value) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(value, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return Invalid(value, "'..' in an AF_UNIX path");
    parts.push_back(part);
  }
  if (parts.size() >= 2 && parts[0] == "var" && parts[1] == "run") {
    parts.erase(parts.begin());
  }
  if (parts.size() < 2 || parts[0] != "run") {
    return Invalid(value, "AF_UNIX paths must be below /run/");
  }
  std::string path = absl::StrCat("/", absl::StrJoin(parts, "/"));
  if (absl::Status s = CheckSystemRunEntry(value, path, parts[1]); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckUnixLength(value, path); !s.ok()) return s;
  return path;
}

absl::StatusOr<std::string> UnixAddress(absl::string_view value) {
  if (value[0] == '/') return UnixPath(value);
  if (value.size() == 1) return Invalid(value, "empty abstract name");
  if (absl::Status s = CheckUnixLength(value, value); !s.ok()) return s;
  return std::string(value);
}

absl::StatusOr<std::string> VsockAddress(absl::string_view value) {
  absl::string_view rest = value.substr(6);  // after "vsock:"
  size_t colon = rest.find(':');
  if (colon == absl::string_view::npos) {
    return Invalid(value, "vsock addresses are vsock:CID:PORT");
  }
  absl::string_view cid = rest.substr(0, colon);
  uint64_t cid_value = 0, port = 0;
  // 0xffffffff is VMADDR_CID_ANY / VMADDR_PORT_ANY: a wildcard, written as
  // an empty CID.
  if (!cid.empty() && !ParseDecimal(cid, 0xfffffffe, &cid_value)) {
    return Invalid(value, "bad vsock CID");
  }
  if (!ParseDecimal(rest.substr(colon + 1), 0xfffffffe, &port)) {
    return Invalid(value, "bad vsock port");
  }
  return cid.empty() ? absl::StrCat("vsock::", port)
                     : absl::StrCat("vsock:", cid_value, ":", port);
}

absl::StatusOr<std::string> IpAddress(absl::string_view value, bool ipv6) {
  uint64_t port = 0;
  if (ParseDecimal(value, 65535, &port) && port > 0) {
    return ipv6 ? absl::StrCat("[::]:", port) : absl::StrCat("0.0.0.0:", port);
  }
  size_t colon = value.rfind(':');
  if (colon == absl::string_view::npos) {
    return Invalid(value, "not a path, vsock:CID:PORT, IP:PORT or PORT");
  }
  if (!ParseDecimal(value.substr(colon + 1), 65535, &port) || port == 0) {
    return Invalid(value, "bad port (1-65535)");
  }
  absl::string_view host = value.substr(0, colon);
  char text[INET6_ADDRSTRLEN];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    std::string inner(host.substr(1, host.size() - 2));
    in6_addr a6;
    if (inet_pton(AF_INET6, inner.c_str(), &a6) != 1) {
      return Invalid(value, "bad IPv6 address");
    }
    inet_ntop(AF_INET6, &a6, text, sizeof(text));
    return absl::StrCat("[", text, "]:", port);
  }
  std::string h(host);
  in_addr a4;
  // inet_pton takes dotted quads only (no "127.1", no hex): what a
  // reader would expect; host names would need DNS at boot.
  if (inet_pton(AF_INET, h.c_str(), &a4) != 1) {
    return Invalid(value, "bad IPv4 address (IPv6 goes in brackets)");
  }
  inet_ntop(AF_INET, &a4, text, sizeof(text));
  return absl::StrCat(text, ":", port);
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF), as systemd's utf8_is_valid() wants unit file values.
bool ValidUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

bool ControlFree(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool UnitSafe(absl::string_view s) { return ControlFree(s) && ValidUtf8(s); }

absl::StatusOr<std::string> CanonicalAddress(absl::string_view value,
                                             bool ipv6) {
  if (value.empty()) return Invalid(value, "empty address");
  // A control character would end the unit file's line (or worse).
  if (!ControlFree(value)) return Invalid(value, "control character in address");
  if (!ValidUtf8(value)) return Invalid(value, "not UTF-8");
  // systemd strips a value's ends when it reads a unit file back: such an
  // address cannot be written as it was given. The end is checked on the
  // canonical form too, since dropping a trailing '/' can bare a space.
  constexpr absl::string_view kSpaceAtEnd = "space at the start or end of the address";
  if (value.front() == ' ' || value.back() == ' ') return Invalid(value, kSpaceAtEnd);
  absl::StatusOr<std::string> canonical =
      value[0] == '/' || value[0] == '@'   ? UnixAddress(value)
      : absl::StartsWith(value, "vsock:") ? VsockAddress(value)
                                           : IpAddress(value, ipv6);
  if (canonical.ok() && canonical->back() == ' ') return Invalid(value, kSpaceAtEnd);
  return canonical;
}

}  // namespace sshproxy::generator
