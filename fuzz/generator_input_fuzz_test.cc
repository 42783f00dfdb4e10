// Copyright 2026 The ssh-socket-proxy Authors.
//
// Fuzzes what ssh-socket-proxy-generator reads from the guest: the kernel
// command line (or, in a container, PID 1's arguments) and the ssh.listen
// credential, both settable by whoever starts the guest, on the systems
// generator/fuzz_input.h describes (container or VM, vsock transport, sshd
// off, systemd 257, sshd's directory, the credential directory).
// Properties: every unit written is well-formed UTF-8 (no value can add a
// line, a section or a %-specifier); read back as systemd's parser reads
// it (line continuation, stripping, "%%", and for Exec*= lines quoting, C
// escapes, ';' and "$$"), each ListenStream=, Description= and
// ConditionFileNotEmpty= is the planned value and each command runs the
// planned words (sshd's path, this binary, the credential's path);
// no two sockets share a name or an address; AF_UNIX paths are under /run/
// and not in another program's place there (/run/systemd/, /run/dbus/...);
// every file name is ours; with sshd off nothing is written; beside
// systemd 257's own generator only vsock::22.
//
// Each corpus and regression input is also rendered and checked by
// `systemd-analyze verify` (generator/verify_test.sh).

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
// before binding), but for the container manager's export directory.
// Written out here, not taken from the generator, so that a shortened list
// there fails here.
bool OtherProgramsRunPath(absl::string_view path) {
  if (absl::StartsWith(path, "/run/host/unix-export/")) return false;
  for (absl::string_view dir :
       {"/run/credentials/", "/run/dbus/", "/run/host/", "/run/lock/", "/run/log/",
        "/run/mount/", "/run/sshd/", "/run/systemd/", "/run/udev/", "/run/user/"}) {
    if (absl::StartsWith(path, dir)) return true;
  }
  for (absl::string_view file : {"/run/credentials", "/run/dbus", "/run/host", "/run/initctl",
                                 "/run/lock", "/run/log", "/run/mount", "/run/nologin",
                                 "/run/sshd", "/run/sshd.pid", "/run/systemd", "/run/udev",
                                 "/run/user", "/run/utmp"}) {
    if (path == file) return true;
  }
  return false;
}

bool Blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// One C escape after a backslash, as systemd's cunescape_one() decodes the
// ones a writer needs; anything else is an error here (EscapeExecWord must
// not need it).
bool Unescape(absl::string_view& p, std::string& word) {
  if (p.empty()) return false;
  const char e = p[0];
  p.remove_prefix(1);
  static constexpr absl::string_view kFrom = "abfnrtv\\\"'s", kTo = "\a\b\f\n\r\t\v\\\"' ";
  if (size_t i = kFrom.find(e); i != absl::string_view::npos) {
    word.push_back(kTo[i]);
    return true;
  }
  return false;
}

// The next word as systemd's extract_first_word() with EXTRACT_UNQUOTE |
// EXTRACT_CUNESCAPE reads it (config_parse_exec()): blanks separate; single
// and double quotes group and go, anywhere in a word; backslash escapes are
// decoded in and out of quotes. False at the end; ERROR set when systemd
// would refuse the line.
bool ExtractWord(absl::string_view& p, std::string& word, std::string& error) {
  while (!p.empty() && Blank(p[0])) p.remove_prefix(1);
  if (p.empty()) return false;
  word.clear();
  char quote = 0;
  while (!p.empty() && (quote != 0 || !Blank(p[0]))) {
    const char c = p[0];
    p.remove_prefix(1);
    if (c == '\\') {
      if (!Unescape(p, word)) error = "bad escape";
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    } else {
      word.push_back(c);
    }
  }
  if (quote != 0) error = "unbalanced quote";
  return true;
}

// Specifiers, resolved in each word after splitting: "%%" is "%"; any other
// '%' would expand to something not planned.
bool ResolveSpecifiers(std::string& word) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    if (word[i] != '%') {
      out.push_back(word[i]);
      continue;
    }
    if (i + 1 >= word.size() || word[i + 1] != '%') return false;
    out.push_back('%');
    ++i;
  }
  word = out;
  return true;
}

// An Exec*= value as systemd runs it: the prefixes (-@:+!) of the first
// word dropped, the words split and unescaped, specifiers resolved. A bare
// ';' would start a second command; "\;" is a literal ';'.
std::vector<std::string> ExecWords(absl::string_view value, std::string& error) {
  std::vector<std::string> words;
  std::string word;
  while (true) {
    absl::string_view rest = value;
    while (!rest.empty() && Blank(rest[0])) rest.remove_prefix(1);
    const bool alone = rest.size() == 1 || (rest.size() > 1 && Blank(rest[1]));
    if (!words.empty() && absl::StartsWith(rest, ";") && alone) error = "a second command";
    if (!words.empty() && absl::StartsWith(rest, "\\;") &&
        (rest.size() == 2 || Blank(rest[2]))) {
      words.push_back(";");
      value = rest.substr(2);
      continue;
    }
    if (!ExtractWord(value, word, error)) break;
    if (words.empty()) {
      while (!word.empty() && absl::string_view("-@:+!").find(word[0]) != absl::string_view::npos)
        word.erase(0, 1);
    }
    if (!ResolveSpecifiers(word)) error = "a %-specifier";
    words.push_back(word);
  }
  return words;
}

// An argument as the program gets it: "$$" is '$'; a lone '$' starts a
// variable, which is returned as is with EXPANDED set.
std::string AsRun(absl::string_view arg, bool& expanded) {
  std::string out;
  expanded = false;
  for (size_t i = 0; i < arg.size(); ++i) {
    if (arg[i] == '$' && i + 1 < arg.size() && arg[i + 1] == '$') {
      out.push_back('$');
      ++i;
    } else {
      if (arg[i] == '$') expanded = true;
      out.push_back(arg[i]);
    }
  }
  return out;
}

// What systemd's path_is_normalized() wants of a path in a unit: no '.'
// or '..' component, no "//", no trailing '/'.
bool Normalized(absl::string_view path) {
  if (path.size() > 1 && path.back() == '/') return false;
  if (absl::StrContains(path, "//")) return false;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "." || part == "..") return false;
  }
  return true;
}

// A plain value (Description=, ConditionFileNotEmpty=, ListenStream=) as
// systemd reads it: stripped, "%%" is '%', no other specifier.
bool ValueAsRead(absl::string_view value, std::string& out) {
  out = std::string(absl::StripAsciiWhitespace(value));
  return ResolveSpecifiers(out);
}

bool Ours(absl::string_view path) {
  for (absl::string_view dir : {"", "sockets.target.wants/", "multi-user.target.wants/"}) {
    if (absl::StartsWith(path, absl::StrCat(dir, kUnitPrefix))) return true;
  }
  return false;
}

// What each unit's command lines must run ("$" words are variables systemd
// expands on purpose) and its input-derived plain values must read back as.
struct Expected {
  std::map<std::string, std::vector<std::string>> exec;  // key -> words
  std::map<std::string, std::string> values;             // key -> value
};

Expected ExpectedOf(const UnitFile& f, const Plan& plan) {
  Expected e;
  const std::string vsock(kVsockUnit);
  if (absl::EndsWith(f.path, "@.service")) {
    e.exec["ExecStart"] = {plan.sshd, "-i", "$SSHD_OPTS"};
  } else if (f.path == vsock + "-issue.service") {
    e.exec["ExecStart"] = {plan.self, "--vsock-issue"};
    e.exec["ExecStop"] = {"/bin/rm", "-f", std::string(kIssueFile)};
  } else if (f.path == vsock + "-recheck.service") {
    e.exec["ExecCondition"] = {plan.self, "--vsock-recheck", "/run/systemd/generator"};
    e.exec["ExecStart"] = {"/bin/systemctl", "--no-block", "start", vsock + ".socket"};
  } else if (absl::EndsWith(f.path, "root-key.service")) {
    e.exec["ExecStart"] = {"/usr/bin/install", "-D", "-m", "0600", plan.root_key_credential,
                           "/root/.ssh/authorized_keys"};
    e.values["ConditionFileNotEmpty"] = plan.root_key_credential;
    FUZZ_CHECK(Normalized(plan.root_key_credential), "credential path %s is not normalised",
               plan.root_key_credential.c_str());
  }
  for (const Listener& l : plan.listeners) {
    if (f.path != l.name + ".socket") continue;
    e.values["ListenStream"] = l.address;
    e.values["Description"] =
        absl::StrCat("OpenSSH Server Socket (ssh-socket-proxy-generator, ", l.what, ")");
  }
  return e;
}

void CheckExec(const UnitFile& f, absl::string_view key, absl::string_view value,
               const std::vector<std::string>& want) {
  std::string error;
  const std::vector<std::string> words = ExecWords(value, error);
  FUZZ_CHECK(error.empty(), "%s: %s= %s: %s", f.path.c_str(), std::string(key).c_str(),
             std::string(value).c_str(), error.c_str());
  FUZZ_CHECK(words.size() == want.size(), "%s: %s= has %zu words: %s", f.path.c_str(),
             std::string(key).c_str(), words.size(), std::string(value).c_str());
  // config_parse_exec() refuses an executable name that is not
  // string_is_safe(): control characters, quotes, backslashes.
  FUZZ_CHECK(words.empty() || (UnitSafe(words[0]) && Normalized(words[0]) &&
                               words[0].find_first_of("\"'\\") == std::string::npos),
             "%s: '%s' is no executable name systemd takes as written", f.path.c_str(),
             words[0].c_str());
  for (size_t i = 0; i < words.size(); ++i) {
    bool expanded = false;
    // The path is not expanded, the arguments are.
    const std::string got = i == 0 ? words[i] : AsRun(words[i], expanded);
    FUZZ_CHECK(got == want[i] && expanded == (i > 0 && want[i][0] == '$'),
               "%s: %s= word %zu reads back as '%s'%s, not '%s'", f.path.c_str(),
               std::string(key).c_str(), i, got.c_str(),
               expanded ? " (expanding a variable)" : "", want[i].c_str());
  }
}

void CheckUnit(const UnitFile& f, const Plan& plan) {
  Expected want = ExpectedOf(f, plan);
  std::map<std::string, int> seen;
  for (const std::string& logical : LogicalLines(f.content)) {
    FUZZ_CHECK(WellFormedLine(logical), "bad line in %s: %s", f.path.c_str(), logical.c_str());
    FUZZ_CHECK(UnitSafe(logical), "line in %s that systemd skips: %s", f.path.c_str(),
               logical.c_str());
    const size_t eq = logical.find('=');
    if (logical.empty() || logical[0] == '[' || logical[0] == '#' || eq == std::string::npos) {
      continue;
    }
    const std::string key = logical.substr(0, eq);
    const absl::string_view value = absl::string_view(logical).substr(eq + 1);
    if (auto it = want.exec.find(key); it != want.exec.end()) {
      ++seen[key];
      CheckExec(f, key, value, it->second);
    } else if (auto v = want.values.find(key); v != want.values.end()) {
      ++seen[key];
      FUZZ_CHECK(SpecifiersEscaped(value), "unescaped %% in %s", logical.c_str());
      std::string got;
      FUZZ_CHECK(ValueAsRead(value, got) && got == v->second,
                 "%s: %s= reads back as '%s', not '%s'", f.path.c_str(), key.c_str(),
                 got.c_str(), v->second.c_str());
    } else {
      FUZZ_CHECK(!absl::StartsWith(key, "Exec") && key != "ListenStream",
                 "%s: unplanned %s", f.path.c_str(), logical.c_str());
    }
  }
  for (const auto& [key, unused] : want.exec) {
    FUZZ_CHECK(seen[key] == 1, "%s has %d %s= lines", f.path.c_str(), seen[key], key.c_str());
  }
  for (const auto& [key, unused] : want.values) {
    FUZZ_CHECK(seen[key] == 1, "%s has %d %s= lines", f.path.c_str(), seen[key], key.c_str());
  }
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
    if (f.symlink_target.empty()) CheckUnit(f, plan);
  }
  return 0;
}
