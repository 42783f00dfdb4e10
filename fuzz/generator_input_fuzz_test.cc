// Copyright 2026 The ssh-socket-proxy Authors.
//
// Fuzzes what ssh-socket-proxy-generator reads from the guest: the kernel
// command line (or, in a container, PID 1's arguments) and the ssh.listen
// credential, both settable by whoever starts the guest. Input: one byte
// choosing container or VM, then the command line, "\n--\n", the
// credential. Properties: every unit written is well-formed (no value can
// add a line, a section or a %-specifier), each socket has exactly one
// ListenStream= whose value is a canonical address, no two sockets share a
// name or an address, and every file name is ours.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "generator/fake_system.h"
#include "generator/generator.h"

namespace {

using sshproxy::generator::FakeSystem;

FakeSystem Scripted(bool container, absl::string_view cmdline,
                    absl::string_view credential) {
  FakeSystem s;
  s.executables.insert("/usr/sbin/sshd");
  s.files["/proc/net/if_inet6"] = "";
  s.files["/run/credentials/@system/ssh.listen"] = std::string(credential);
  if (container) {
    s.files["/run/systemd/container"] = "systemd-nspawn";
    s.writable.insert("/run/host/unix-export/");
    s.files["/proc/1/cmdline"] = std::string("/sbin/init\0", 11) + std::string(cmdline);
  } else {
    s.files["/sys/class/dmi/id/sys_vendor"] = "QEMU";
    s.files["/proc/cmdline"] = std::string(cmdline);
    s.vsock_cid = 3u;
  }
  return s;
}

// A unit file line: blank, comment, [Section] or Key=value.
bool WellFormedLine(absl::string_view line) {
  if (line.empty() || line[0] == '#') return true;
  if (line.front() == '[') return line.back() == ']';
  size_t eq = line.find('=');
  if (eq == absl::string_view::npos || eq == 0) return false;
  for (char c : line.substr(0, eq)) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// No lone %: every % of a value is written %%.
bool SpecifiersEscaped(absl::string_view value) {
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') continue;
    if (i + 1 >= value.size() || value[i + 1] != '%') return false;
    ++i;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sshproxy::generator;
  if (size < 1 || size > 16 * 1024) return 0;
  const absl::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t sep = input.find("\n--\n");
  const absl::string_view cmdline = input.substr(0, sep);
  const absl::string_view credential =
      sep == absl::string_view::npos ? absl::string_view() : input.substr(sep + 4);
  FakeSystem system = Scripted(data[0] & 1, cmdline, credential);

  Plan plan = Decide(Gather(system));
  std::set<std::string> names, addresses;
  for (const Listener& l : plan.listeners) {
    FUZZ_CHECK(names.insert(l.name).second, "two sockets named %s", l.name.c_str());
    FUZZ_CHECK(addresses.insert(l.address).second, "two sockets on %s", l.address.c_str());
    absl::StatusOr<std::string> again = CanonicalAddress(l.address, true);
    FUZZ_CHECK(again.ok() && *again == l.address, "address %s is not canonical",
               l.address.c_str());
  }
  for (const std::string& m : plan.messages) {
    FUZZ_CHECK(!absl::StrContains(m, "\n"), "multi-line log message");
  }
  for (const UnitFile& f : Render(plan)) {
    FUZZ_CHECK(absl::StartsWith(f.path, kUnitPrefix) ||
                   absl::StartsWith(f.path, absl::StrCat("sockets.target.wants/", kUnitPrefix)) ||
                   absl::StartsWith(f.path, absl::StrCat("multi-user.target.wants/", kUnitPrefix)),
               "file %s is not ours", f.path.c_str());
    if (!f.symlink_target.empty()) continue;
    int listen = 0;
    for (absl::string_view line : absl::StrSplit(f.content, '\n')) {
      FUZZ_CHECK(WellFormedLine(line), "bad line in %s: %s", f.path.c_str(),
                 std::string(line).c_str());
      if (!absl::ConsumePrefix(&line, "ListenStream=")) continue;
      ++listen;
      FUZZ_CHECK(SpecifiersEscaped(line), "unescaped %% in %s", std::string(line).c_str());
      std::string value = absl::StrReplaceAll(line, {{"%%", "%"}});
      FUZZ_CHECK(addresses.count(value) == 1, "ListenStream=%s not planned", value.c_str());
    }
    FUZZ_CHECK(listen == (absl::EndsWith(f.path, ".socket") ? 1 : 0),
               "%s has %d ListenStream= lines", f.path.c_str(), listen);
  }
  return 0;
}
