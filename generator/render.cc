// Copyright 2026 The ssh-socket-proxy Authors.
//
// Render() and WriteUnits(): the Plan as unit files. The units use only
// directives systemd 249 knows (no PollLimit*=, no ssh-access.target), so
// the same files load on every systemd this generator is for.

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

// systemd expands %-specifiers in most settings: a literal % is %%.
std::string Escape(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"%", "%%"}});
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
      Escape(plan.sshd),
      " -i $SSHD_OPTS\n"
      "StandardInput=socket\n"
      "RuntimeDirectory=sshd\n"
      "RuntimeDirectoryPreserve=yes\n"
      "RuntimeDirectoryMode=0755\n");
}

std::string SocketUnit(const Listener& l) {
  return absl::StrCat(
      kHeader,
      "[Unit]\n"
      "Description=OpenSSH Server Socket (ssh-socket-proxy-generator, ",
      Escape(l.what),
      ")\n"
      "Documentation=man:ssh-socket-proxy-generator(8)\n"
      "\n[Socket]\n"
      "ListenStream=",
      Escape(l.address),
      "\n"
      "Accept=yes\n");
}

// systemd < 252 has no tmpfiles import of this credential; this does what
// provision.conf's `f^ /root/.ssh/authorized_keys` does there: create the
// file from the credential unless it exists.
std::string RootKeyUnit(const Plan& plan) {
  return absl::StrCat(
      kHeader,
      "[Unit]\n"
      "Description=Root's SSH key from the ssh.authorized_keys.root "
      "credential (ssh-socket-proxy-generator)\n"
      "Documentation=man:ssh-socket-proxy-generator(8)\n"
      "ConditionPathExists=!/root/.ssh/authorized_keys\n"
      "After=local-fs.target\n"
      "\n[Service]\n"
      "Type=oneshot\n"
      "UMask=0077\n"
      "ExecStart=/usr/bin/install -D -m 0600 ",
      Escape(plan.root_key_credential), " /root/.ssh/authorized_keys\n");
}

}  // namespace

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
    std::string socket = absl::StrCat(l.name, ".socket");
    files.push_back({socket, SocketUnit(l), ""});
    files.push_back({absl::StrCat("sockets.target.wants/", socket), "",
                     absl::StrCat("../", socket)});
  }
  if (!plan.root_key_credential.empty()) {
    std::string unit = absl::StrCat(kUnitPrefix, "root-key.service");
    files.push_back({unit, RootKeyUnit(plan), ""});
    files.push_back({absl::StrCat("multi-user.target.wants/", unit), "",
                     absl::StrCat("../", unit)});
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

}  // namespace sshproxy::generator
