// Copyright 2026 The ssh-socket-proxy Authors.
//
// Fuzzes ParseTarget with the host string ssh passes as %h and the port as
// %p. Input: HOST "\n" PORT; without a newline, all of it is the host and the
// port is "22". Properties: accepted targets satisfy the invariants of
// parser/target.h and survive the canonical round trip; rejections are
// InvalidArgument with a one-line, printable message.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "parser/target.h"

namespace sshproxy::parser {
namespace {

constexpr size_t kMaxInput = 4096;

void CheckPath(const std::string& path) {
  FUZZ_CHECK(!path.empty(), "empty path");
  FUZZ_CHECK(path.find('\0') == std::string::npos, "NUL in path");
  FUZZ_CHECK(absl::StartsWith(path, "/") || absl::StartsWith(path, "./"),
             "path %s is neither absolute nor ./-relative", path.c_str());
}

void CheckInvariants(const Target& t, absl::string_view host,
                     absl::string_view port) {
  if (const auto* u = std::get_if<UnixSocket>(&t)) {
    FUZZ_CHECK(absl::StartsWith(host, "unix"), "unix target from another prefix");
    CheckPath(u->path);
  } else if (const auto* v = std::get_if<Vsock>(&t)) {
    FUZZ_CHECK(absl::StartsWith(host, "vsock") &&
                   !absl::StartsWith(host, "vsock-mux"),
               "vsock target from another prefix");
    FUZZ_CHECK(v->cid != 0xffffffffu, "VMADDR_CID_ANY accepted");
    FUZZ_CHECK(v->port != 0xffffffffu, "VMADDR_PORT_ANY accepted");
    // Ports have exactly one spelling: canonical decimal.
    FUZZ_CHECK(FormatPort(t) == port, "port spelled two ways");
  } else if (const auto* m = std::get_if<VsockMux>(&t)) {
    FUZZ_CHECK(absl::StartsWith(host, "vsock-mux"), "mux from another prefix");
    CheckPath(m->path);
    FUZZ_CHECK(m->port != 0xffffffffu, "VMADDR_PORT_ANY accepted");
    FUZZ_CHECK(FormatPort(t) == port, "port spelled two ways");
  } else if (const auto* n = std::get_if<Machine>(&t)) {
    FUZZ_CHECK(absl::StartsWith(host, "machine"), "machine from another prefix");
    FUZZ_CHECK(!n->name.empty() && n->name.size() <= 64, "bad name length");
    FUZZ_CHECK(n->name[0] != '.' && n->name.back() != '.' &&
                   n->name.find("..") == std::string::npos,
               "bad dots in machine name");
    for (char c : n->name) {
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.',
                 "bad character %d in machine name", c);
    }
  } else if (const auto* q = std::get_if<Qemu>(&t)) {
    FUZZ_CHECK(absl::StartsWith(host, "qemu"), "qemu from another prefix");
    FUZZ_CHECK(!q->domain.empty() && q->domain.size() <= 255, "bad domain length");
    for (char c : q->domain) {
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                     c == '+',
                 "bad character %d in qemu domain", c);
    }
    // The scope is the one the host string spelled out.
    const bool system = absl::StartsWith(host, "qemu:system");
    const bool session = absl::StartsWith(host, "qemu:session");
    FUZZ_CHECK(q->scope == (system    ? QemuScope::kSystem
                            : session ? QemuScope::kSession
                                      : QemuScope::kAny),
               "qemu scope differs from the prefix");
    FUZZ_CHECK(q->port != 0xffffffffu, "VMADDR_PORT_ANY accepted");
    FUZZ_CHECK(FormatPort(t) == port, "port spelled two ways");
  } else {
    FUZZ_CHECK(host == ".host" || host == "machine/.host" ||
                   host == "machine%.host",
               "local host from another spelling");
  }
}

}  // namespace
}  // namespace sshproxy::parser

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sshproxy::parser;
  if (size > kMaxInput) return 0;
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::string_view host = input;
  absl::string_view port = "22";
  if (size_t nl = input.find('\n'); nl != absl::string_view::npos) {
    host = input.substr(0, nl);
    port = input.substr(nl + 1);
  }

  absl::StatusOr<Target> t = ParseTarget(host, port);
  if (!t.ok()) {
    FUZZ_CHECK(t.status().code() == absl::StatusCode::kInvalidArgument,
               "unexpected code %d", static_cast<int>(t.status().code()));
    for (char c : t.status().message()) {
      FUZZ_CHECK(c >= 0x20 && c < 0x7f, "unprintable byte %d in message",
                 static_cast<unsigned char>(c));
    }
    FUZZ_CHECK(!t.status().message().empty(), "empty message");
    return 0;
  }
  CheckInvariants(*t, host, port);

  const std::string canonical = FormatTarget(*t);
  absl::StatusOr<Target> again = ParseTarget(canonical, FormatPort(*t));
  FUZZ_CHECK(again.ok(), "canonical form %s rejected: %s", canonical.c_str(),
             std::string(again.status().message()).c_str());
  FUZZ_CHECK(*again == *t, "round trip of %s changed the target",
             canonical.c_str());
  FUZZ_CHECK(FormatTarget(*again) == canonical, "canonical form not stable");
  return 0;
}
