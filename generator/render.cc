// Copyright 2026 The ssh-socket-proxy Authors.
//
// Render() and WriteUnits(): the Plan as unit files. The units use only
// directives systemd 247 knows (no PollLimit*=, no ssh-access.target), so
// the same files load on every systemd this generator is for. Every value
// taken from input is escaped for the way systemd reads it back
// (src/shared/conf-parser.c, config_parse_exec()).

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "generator/generator.h"

namespace sshproxy::generator {
namespace {

constexpr absl::string_view kHeader =
    "# Written by ssh-socket-proxy-generator at boot; see "
    "ssh-socket-proxy-generator(8).\n";

// Debian's "sshd off" switch, which its ssh.service and ssh.socket honour
// too; checked again when a socket starts, for a switch set after boot.
constexpr absl::string_view kSshdOffCondition =
    "ConditionPathExists=!/etc/ssh/sshd_not_to_be_run\n";

std::string IssueUnitName() {
  return absl::StrCat(kVsockUnit, "-issue.service");
}

// Like Debian's ssh@.service (and the sshd@.service systemd 257 reuses):
// one sshd -i per connection, with its privilege separation directory.
std::string ServiceTemplate(const Plan& plan) {
  return absl::StrCat(
      kHeader,
      "[Unit]\n"
      "Description=OpenSSH per-connection server (ssh-socket-proxy-generator)\n"
      "Documentation=man:ssh-socket-proxy-generator(8) man:sshd(8)\n"
      // Host keys first where a keygen unit makes them (Fedora, RHEL,
      // Debian 13); ordering only, so nothing is pulled in where none exists.
      "After=nss-user-lookup.target auditd.service sshd-keygen.service "
      "sshd-keygen.target\n"
      "\n[Service]\n"
      "EnvironmentFile=-/etc/default/ssh\n"
      "ExecStart=-",
      EscapeExecWord(plan.sshd, true),
      " -i $SSHD_OPTS\n"
      "StandardInput=socket\n"
      "RuntimeDirectory=sshd\n"
      "RuntimeDirectoryPreserve=yes\n"
      "RuntimeDirectoryMode=0755\n");
}

std::string SocketUnit(const Listener& l, bool hint) {
  std::string unit = absl::StrCat(
      kHeader,
      "[Unit]\n"
      "Description=OpenSSH Server Socket (ssh-socket-proxy-generator, ",
      EscapeValue(absl::StrCat(l.what, ")")),
      "\nDocumentation=man:ssh-socket-proxy-generator(8)\n", kSshdOffCondition);
  if (!l.unless_path.empty()) {
    absl::StrAppend(&unit, "ConditionPathExists=!", l.unless_path, "\n");
  }
  if (hint) {
    absl::StrAppend(&unit, "Wants=", IssueUnitName(), "\n");
  }
  // RemoveOnStop=: systemd removes the socket file when the unit stops, so
  // nothing (no package script) has to find and parse our units for it.
  absl::StrAppend(&unit,
                  "\n[Socket]\n"
                  "ListenStream=",
                  EscapeValue(l.address),
                  "\n"
                  "Accept=yes\n"
                  "RemoveOnStop=yes\n");
  return unit;
}

// The console hint beside the vsock socket, like systemd 258's
// systemd-ssh-issue: written when the socket starts, removed when it stops.
std::string IssueUnit(const Plan& plan, const Listener& vsock) {
  std::string self = EscapeExecWord(plan.self, true);
  std::string unit = absl::StrCat(
      kHeader,
      "[Unit]\n"
      "Description=Console hint: ssh over vsock (ssh-socket-proxy-generator)\n"
      "Documentation=man:ssh-socket-proxy-generator(8)\n"
      "PartOf=", kVsockUnit, ".socket\n"
      "After=", kVsockUnit, ".socket\n");
  if (!vsock.unless_path.empty()) {
    absl::StrAppend(&unit, "ConditionPathExists=!", vsock.unless_path, "\n");
  }
  absl::StrAppend(&unit,
                  "\n[Service]\n"
                  "Type=oneshot\n"
                  "RemainAfterExit=yes\n"
                  "TimeoutSec=10s\n"
                  "ExecStart=", self, " --vsock-issue\n"
                  "ExecStop=/bin/rm -f ", kIssueFile, "\n");
  return unit;
}

// Started by udev (60-ssh-socket-proxy-vsock.rules) when a vsock module
// loads or a vsock device binds after boot: decides again, and starts the
// vsock socket iff that now binds it. ExecCondition= (systemd 243+): "no"
// is not a failure.
std::string RecheckUnit(const Plan& plan) {
  return absl::StrCat(
      kHeader,
      "[Unit]\n"
      "Description=Look again for a vsock transport for sshd "
      "(ssh-socket-proxy-generator)\n"
      "Documentation=man:ssh-socket-proxy-generator(8)\n",
      kSshdOffCondition,
      "\n[Service]\n"
      "Type=oneshot\n"
      "TimeoutSec=30s\n"
      "ExecCondition=", EscapeExecWord(plan.self, true),
      " --vsock-recheck /run/systemd/generator\n"
      "ExecStart=/bin/systemctl --no-block start ", kVsockUnit, ".socket\n");
}

// systemd < 252 has no tmpfiles import of this credential; this does what
// provision.conf's `f^ /root/.ssh/authorized_keys` does there: create the
// file from the credential unless it exists. Never holds up the boot: the
// credential must be a non-empty regular file when the unit starts, and
// the copy has 10 s.
std::string RootKeyUnit(const Plan& plan) {
  std::string credential = EscapeExecWord(plan.root_key_credential, false);
  return absl::StrCat(
      kHeader,
      "[Unit]\n"
      "Description=Root's SSH key from the ssh.authorized_keys.root "
      "credential (ssh-socket-proxy-generator)\n"
      "Documentation=man:ssh-socket-proxy-generator(8)\n"
      "ConditionPathExists=!/root/.ssh/authorized_keys\n"
      "ConditionFileNotEmpty=", EscapeValue(plan.root_key_credential), "\n"
      "After=local-fs.target\n"
      "\n[Service]\n"
      "Type=oneshot\n"
      "UMask=0077\n"
      "TimeoutSec=10s\n"
      "ExecStart=/usr/bin/install -D -m 0600 ", credential,
      " /root/.ssh/authorized_keys\n");
}

void AddWanted(std::vector<UnitFile>& files, absl::string_view target,
               const std::string& unit) {
  files.push_back({absl::StrCat(target, ".wants/", unit), "",
                   absl::StrCat("../", unit)});
}

}  // namespace

std::string EscapeValue(absl::string_view value) {
  std::string out = absl::StrReplaceAll(value, {{"%", "%%"}});
  size_t backslashes = 0;
  while (backslashes < out.size() &&
         out[out.size() - 1 - backslashes] == '\\') {
    ++backslashes;
  }
  // An odd backslash at the end of a line joins the next line to it;
  // a space after it stops that, and systemd strips the space again.
  if (backslashes % 2 == 1) out.push_back(' ');
  return out;
}

std::string EscapeExecWord(absl::string_view word, bool first) {
  std::string out = absl::StrReplaceAll(word, {{"%", "%%"}});
  // $VAR is expanded in arguments, not in the executable's path.
  if (!first) out = absl::StrReplaceAll(out, {{"$", "$$"}});
  if (out == ";") return "\\;";
  if (out.find_first_of(" \t\"'\\") == std::string::npos) return out;
  // Quoted and C-escaped, as config_parse_exec() unquotes and unescapes.
  return absl::StrCat(
      "\"", absl::StrReplaceAll(out, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

std::vector<UnitFile> Render(const Plan& plan) {
  std::vector<UnitFile> files;
  for (const Listener& l : plan.listeners) {
    UnitFile service{absl::StrCat(l.name, "@.service"), "", ""};
    if (plan.sshd_template.empty()) {
      service.content = ServiceTemplate(plan);
    } else {
      service.symlink_target = plan.sshd_template;
    }
    files.push_back(std::move(service));
    // The hint and the re-check run this binary again: not without its path.
    const bool hint = l.name == kVsockUnit && !plan.self.empty();
    if (hint) files.push_back({IssueUnitName(), IssueUnit(plan, l), ""});
    std::string socket = absl::StrCat(l.name, ".socket");
    files.push_back({socket, SocketUnit(l, hint), ""});
    AddWanted(files, "sockets.target", socket);
  }
  if (plan.vsock_recheck && !plan.self.empty()) {
    files.push_back({absl::StrCat(kVsockUnit, "-recheck.service"),
                     RecheckUnit(plan), ""});
  }
  if (!plan.root_key_credential.empty()) {
    std::string unit = absl::StrCat(kUnitPrefix, "root-key.service");
    files.push_back({unit, RootKeyUnit(plan), ""});
    AddWanted(files, "multi-user.target", unit);
  }
  return files;
}

absl::Status WriteUnits(System& system, const std::string& dir,
                        const std::vector<UnitFile>& files) {
  for (const UnitFile& f : files) {
    std::string path = absl::StrCat(dir, "/", f.path);
    std::string parent = path.substr(0, path.rfind('/'));
    if (absl::Status s = system.MakeDirs(parent); !s.ok()) return s;
    absl::Status s = f.symlink_target.empty()
                         ? system.WriteFileAtomic(path, f.content)
                         : system.Symlink(f.symlink_target, path);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

namespace {

// What a re-check concluded, and its one log line.
struct Verdict {
  bool bind;
  Message message;
};

Verdict Recheck(System& system, const std::string& dir, const Plan& only,
                const Plan& plan) {
  if (only.listeners.empty()) {
    return {false,
            {Level::kInfo,
             plan.vsock_recheck
                 ? "vsock re-check: still no guest-to-host vsock transport; "
                   "not listening on vsock::22"
                 : "vsock re-check: vsock::22 is not ours to bind (see this "
                   "boot's first lines)"}};
  }
  if (system.Exists(absl::StrCat(dir, "/", kVsockUnit, ".socket"))) {
    return {false,
            {Level::kInfo, "vsock re-check: vsock::22 is bound already"}};
  }
  if (absl::Status s = WriteUnits(system, dir, Render(only)); !s.ok()) {
    return {false,
            {Level::kWarning, absl::StrCat("vsock re-check: ", s.message())}};
  }
  return {true,
          {Level::kInfo,
           "vsock re-check: a vsock transport appeared; binding sshd to "
           "vsock::22"}};
}

}  // namespace

bool RecheckVsock(System& system, const std::string& dir,
                  std::vector<Message>& log) {
  Facts facts = Gather(system);
  // Only where the boot's decision armed the re-check: the same facts
  // without a transport (an extra on vsock port 22 holds the port, say).
  Facts at_boot = facts;
  at_boot.vsock_transport = VsockTransport::kNone;
  Plan plan = Decide(facts);
  Plan armed = Decide(at_boot);
  Verdict verdict = Recheck(system, dir,
                            armed.vsock_recheck ? VsockOnly(plan) : Plan(),
                            armed);
  // One module load sends several events (vsock, then its transport): the
  // same conclusion is told once per boot, not once per event.
  const std::string last = absl::StrCat(kIssueDir, "/vsock-recheck");
  absl::StatusOr<std::string> before = system.ReadFile(last);
  if (verdict.bind || !before.ok() || *before != verdict.message.text) {
    log.push_back(verdict.message);
    if (system.MakeDirs(std::string(kIssueDir)).ok()) {
      (void)system.WriteFileAtomic(last, verdict.message.text);
    }
  }
  return verdict.bind;
}

absl::Status WriteIssue(System& system, std::vector<Message>& log) {
  absl::StatusOr<uint32_t> cid = system.LocalVsockCid();
  std::optional<std::string> hint =
      IssueText(cid.ok() ? std::optional<uint32_t>(*cid) : std::nullopt);
  if (!hint) {
    log.push_back({Level::kInfo,
                   "console hint: this VM's vsock CID is not known here "
                   "(Hyper-V, or no CID yet); none written"});
    return absl::OkStatus();
  }
  if (absl::Status s = system.MakeDirs(std::string(kIssueDir)); !s.ok()) {
    return s;
  }
  log.push_back({Level::kInfo, absl::StrCat("console hint: ", *hint)});
  return system.WriteFileAtomic(
      std::string(kIssueFile),
      absl::StrCat("sshd listens on vsock port 22; from the host: ", *hint,
                   "\n"));
}

}  // namespace sshproxy::generator
