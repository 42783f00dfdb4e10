// Copyright 2026 The ssh-socket-proxy Authors.
//
// Fuzzes what ssh-socket-proxy-generator reads from the guest: the kernel
// command line (or, in a container, PID 1's arguments) and the ssh.listen
// credential, both settable by whoever starts the guest, on the systems
// generator/fuzz_input.h describes (container or VM, vsock transport, sshd
// off, systemd 257). Properties: every unit written is well-formed (no
// value can add a line, a section or a %-specifier), each socket has
// exactly one ListenStream= which, read back as systemd's parser reads it
// (line continuation, stripping, "%%"), is the planned canonical address;
// no two sockets share a name or an address; AF_UNIX paths are under /run/
// and not in another program's place there (/run/systemd/, /run/dbus/...);
// every file name is ours; with sshd off nothing is written; beside
// systemd 257's own generator only vsock::22.
//
// Each corpus and regression input is also rendered and checked by
// `systemd-analyze verify` (generator/verify_test.sh).

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "fuzz/fuzz_check.h"
#include "generator/fake_system.h"
#include "generator/fuzz_input.h"
#include "generator/generator.h"

namespace {

using namespace sshproxy::generator;

// The logical lines systemd's config parser sees: a line ending in an odd
// number of backslashes continues on the next, that backslash a space.
std::vector<std::string> LogicalLines(absl::string_view content) {
  std::vector<std::string> lines;
  std::string pending;
  bool continued = false;
  for (absl::string_view raw : absl::StrSplit(content, '\n')) {
    std::string line = continued ? pending + std::string(raw) : std::string(raw);
    bool escaped = false;
    for (char c : line) escaped = !escaped && c == '\\';
    continued = escaped;
    if (escaped) {
      line.back() = ' ';
      pending = line;
      continue;
    }
    lines.push_back(line);
  }
  return lines;
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

// Below /run, what belongs to other programs (systemd would unlink it
// before binding): the directories of the manager, the bus, udev, the
// user sessions and the container manager. Written out here, not taken
// from the generator, so that a shortened list there fails here.
bool OtherProgramsRunPath(absl::string_view path) {
  if (path == "/run/host/unix-export/ssh") return false;
  for (absl::string_view dir : {"/run/systemd/", "/run/dbus/", "/run/udev/", "/run/user/",
                                "/run/host/"}) {
    if (absl::StartsWith(path, dir)) return true;
  }
  return false;
}

bool Ours(absl::string_view path) {
  for (absl::string_view dir : {"", "sockets.target.wants/", "multi-user.target.wants/"}) {
    if (absl::StartsWith(path, absl::StrCat(dir, kUnitPrefix))) return true;
  }
  return false;
}

void CheckUnit(const UnitFile& f, const std::set<std::string>& addresses) {
  int listen = 0;
  for (const std::string& logical : LogicalLines(f.content)) {
    FUZZ_CHECK(WellFormedLine(logical), "bad line in %s: %s", f.path.c_str(), logical.c_str());
    absl::string_view line = logical;
    if (!absl::ConsumePrefix(&line, "ListenStream=")) continue;
    ++listen;
    FUZZ_CHECK(SpecifiersEscaped(line), "unescaped %% in %s", logical.c_str());
    std::string value = absl::StrReplaceAll(absl::StripAsciiWhitespace(line), {{"%%", "%"}});
    FUZZ_CHECK(addresses.count(value) == 1, "ListenStream=%s reads back unplanned",
               value.c_str());
  }
  FUZZ_CHECK(listen == (absl::EndsWith(f.path, ".socket") ? 1 : 0),
             "%s has %d ListenStream= lines", f.path.c_str(), listen);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 16 * 1024) return 0;
  const FuzzInput in =
      ParseFuzzInput(absl::string_view(reinterpret_cast<const char*>(data), size));
  FakeSystem system =
      ScriptedSystem(in, "/usr/lib/systemd/system-generators/ssh-socket-proxy-generator");

  Plan plan = Decide(Gather(system));
  std::set<std::string> names, addresses;
  for (const Listener& l : plan.listeners) {
    FUZZ_CHECK(names.insert(l.name).second, "two sockets named %s", l.name.c_str());
    FUZZ_CHECK(addresses.insert(l.address).second, "two sockets on %s", l.address.c_str());
    absl::StatusOr<std::string> again = CanonicalAddress(l.address, true);
    FUZZ_CHECK(again.ok() && *again == l.address, "address %s is not canonical",
               l.address.c_str());
    FUZZ_CHECK(l.address[0] != '/' || absl::StartsWith(l.address, "/run/"),
               "AF_UNIX path %s outside /run/", l.address.c_str());
    FUZZ_CHECK(!OtherProgramsRunPath(l.address), "AF_UNIX path %s is another program's",
               l.address.c_str());
    FUZZ_CHECK(!in.systemd257 || l.address == "vsock::22",
               "%s beside systemd's own generator", l.address.c_str());
    FUZZ_CHECK(in.transport || in.container || l.address != "vsock::22" ||
                   absl::StrContains(in.cmdline + in.credential, "vsock"),
               "vsock::22 without a transport");
  }
  for (const Message& m : plan.messages) {
    FUZZ_CHECK(!absl::StrContains(m.text, "\n"), "multi-line log message");
  }
  const std::vector<UnitFile> files = Render(plan);
  FUZZ_CHECK(!in.sshd_off || files.empty(), "units written with sshd off");
  for (const UnitFile& f : files) {
    FUZZ_CHECK(Ours(f.path), "file %s is not ours", f.path.c_str());
    if (f.symlink_target.empty()) CheckUnit(f, addresses);
  }
  return 0;
}
