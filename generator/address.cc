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

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

absl::StatusOr<std::string> UnixAddress(absl::string_view value) {
  // sun_path holds the path and its NUL (an abstract name has no NUL but
  // starts with one, which '@' stands for).
  if (value.size() >= sizeof(sockaddr_un::sun_path)) {
    return Invalid(value, "AF_UNIX path longer than 107 bytes");
  }
  if (value.size() == 1) return Invalid(value, "empty AF_UNIX path");
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

}  // namespace

absl::StatusOr<std::string> CanonicalAddress(absl::string_view value,
                                             bool ipv6) {
  if (value.empty()) return Invalid(value, "empty address");
  // A control character would end the unit file's line (or worse).
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Invalid(value, "control character in address");
    }
  }
  if (value[0] == '/' || value[0] == '@') return UnixAddress(value);
  if (absl::StartsWith(value, "vsock:")) return VsockAddress(value);
  return IpAddress(value, ipv6);
}

}  // namespace sshproxy::generator
