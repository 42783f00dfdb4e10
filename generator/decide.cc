// Copyright 2026 The ssh-socket-proxy Authors.
//
// Decide(): from Facts to a Plan, with the rules of systemd 257's
// src/ssh-generator/ssh-generator.c where they keep the admin's word, and
// stricter where they do not (see ssh-socket-proxy-generator(8), "DIFFERENCES
// FROM SYSTEMD"); no I/O.

#include <linux/vm_sockets.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "generator/generator.h"

namespace sshproxy::generator {
namespace {

// systemd's parse_boolean().
std::optional<bool> ParseBoolean(absl::string_view v) {
  for (absl::string_view t : {"1", "yes", "y", "true", "t", "on"}) {
    if (absl::EqualsIgnoreCase(v, t)) return true;
  }
  for (absl::string_view f : {"0", "no", "n", "false", "f", "off"}) {
    if (absl::EqualsIgnoreCase(v, f)) return false;
  }
  return std::nullopt;
}

// Input as it may appear in a log line: one line, whatever it holds
// (backslashes doubled, control and non-ASCII bytes as \xNN).
std::string Quote(absl::string_view s) {
  std::string out;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    }
  }
  return out;
}

void Info(Plan& plan, std::string text) {
  plan.messages.push_back({Level::kInfo, std::move(text)});
}
void Warn(Plan& plan, std::string text) {
  plan.messages.push_back({Level::kWarning, std::move(text)});
}

struct Switches {
  bool ssh_auto = true;
  std::vector<std::string> extra;  // canonical addresses
};

void AddExtra(absl::string_view value, absl::string_view source,
              const Facts& facts, Switches& sw, Plan& plan) {
  absl::StatusOr<std::string> address = CanonicalAddress(value, facts.ipv6);
  if (!address.ok()) {
    Warn(plan, absl::StrCat("ignoring ", source, ": ",
                            address.status().message()));
    return;
  }
  sw.extra.push_back(*address);
}

// systemd.ssh_auto= and systemd.ssh_listen=; like systemd, '-' and '_' in a
// key are the same, a later ssh_auto wins, and bad values are skipped.
void ParseCmdline(const Facts& facts, Switches& sw, Plan& plan) {
  for (const std::string& word : facts.cmdline) {
    std::vector<std::string> kv = absl::StrSplit(word, absl::MaxSplits('=', 1));
    std::string key = absl::StrReplaceAll(kv[0], {{"-", "_"}});
    if (key == "systemd.ssh_auto") {
      std::optional<bool> b = kv.size() == 1 ? true : ParseBoolean(kv[1]);
      if (b) {
        sw.ssh_auto = *b;
      } else {
        Warn(plan, absl::StrCat("ignoring ", Quote(word), ": not a boolean"));
      }
    } else if (key == "systemd.ssh_listen") {
      if (kv.size() == 1) {
        Warn(plan, absl::StrCat("ignoring ", Quote(word), ": no value"));
      } else {
        AddExtra(kv[1], "systemd.ssh_listen=", facts, sw, plan);
      }
    }
  }
}

// The ssh.listen credential: one address a line; blank lines and # comments
// are skipped.
void ParseListenCredential(const Facts& facts, Switches& sw, Plan& plan) {
  if (!facts.listen_credential) return;
  for (absl::string_view line :
       absl::StrSplit(*facts.listen_credential, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    AddExtra(line, "ssh.listen credential line", facts, sw, plan);
  }
}

absl::string_view TransportName(VsockTransport t) {
  switch (t) {
    case VsockTransport::kVirtio:
      return "virtio-vsock";
    case VsockTransport::kHyperV:
      return "hv_sock";
    case VsockTransport::kVmci:
      return "VMCI";
    case VsockTransport::kNone:
      break;
  }
  return "none";
}

// vsock::22 iff the kernel offers a guest-to-host transport; else one
// quiet line, and the re-check is armed for a transport that comes late.
void AddVsock(const Facts& facts, std::string unless_path, Plan& plan) {
  if (facts.vsock_transport == VsockTransport::kNone) {
    Info(plan,
         "not listening on vsock::22: no guest-to-host vsock transport "
         "(virtio-vsock, hv_sock, VMCI); looking again when one appears");
    plan.vsock_recheck = true;
    return;
  }
  plan.listeners.push_back({std::string(kVsockUnit), "vsock::22", "AF_VSOCK",
                            std::move(unless_path)});
  std::optional<std::string> hint = IssueText(facts.vsock_cid);
  Info(plan, absl::StrCat("binding sshd to vsock::22 (",
                          TransportName(facts.vsock_transport), "); ",
                          hint ? absl::StrCat("from the host: ", *hint)
                               : "this VM's CID is not known here"));
}

void AddAutomatic(const Facts& facts, Plan& plan) {
  if (facts.vm) AddVsock(facts, "", plan);
  plan.listeners.push_back({absl::StrCat(kUnitPrefix, "unix-local"),
                            "/run/ssh-unix-local/socket", "AF_UNIX Local"});
  if (facts.unix_export) {
    plan.listeners.push_back({absl::StrCat(kUnitPrefix, "unix-export"),
                              std::string(kUnixExportPath), "AF_UNIX Export"});
  }
}

// Extra sockets are sorted and unique, named extra, extra-2, ... as
// systemd names its own; one already bound automatically is dropped (two
// units on one address would leave one of them failed).
void AddExtras(std::vector<std::string> extra, Plan& plan) {
  std::sort(extra.begin(), extra.end());
  extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
  int n = 1;
  for (const std::string& address : extra) {
    bool taken = std::any_of(
        plan.listeners.begin(), plan.listeners.end(),
        [&](const Listener& l) { return l.address == address; });
    if (taken) {
      Warn(plan, absl::StrCat("ignoring ", Quote(address), ": already bound"));
      continue;
    }
    std::string name = absl::StrCat(kUnitPrefix, "extra");
    if (n > 1) absl::StrAppend(&name, "-", n);
    plan.listeners.push_back({name, address, address});
    ++n;
  }
}

// Why sshd must stay off every socket, or "" when nothing says so.
std::string SshdOff(const Facts& facts) {
  if (facts.systemd_ssh_generator_masked) {
    return "systemd-ssh-generator is masked";
  }
  if (facts.sshd.empty()) return "no sshd installed";
  if (facts.sshd_not_to_be_run) return "/etc/ssh/sshd_not_to_be_run exists";
  if (facts.ssh_service_masked && !facts.ssh_socket_enabled) {
    return "ssh.service is masked";
  }
  return "";
}

// systemd imports the key itself where its provision.conf is installed;
// a provision.conf in /etc or /run is the admin's and decides alone.
void DecideRootKey(const Facts& facts, Plan& plan) {
  for (const std::string& path : facts.refused_credentials) {
    Warn(plan, absl::StrCat("ignoring credential '", Quote(path), "'",
                            ": not a regular file"));
  }
  if (facts.root_key_credential.empty()) return;
  if (facts.provision_override) {
    Info(plan, "not importing ssh.authorized_keys.root: a provision.conf in "
               "/etc/tmpfiles.d or /run/tmpfiles.d decides");
  } else if (!facts.vendor_provision) {
    plan.root_key_credential = facts.root_key_credential;
  }
}

// An extra address on vsock port 22 (any CID) holds the port the automatic
// socket would bind: a re-check must not bind it a second time.
bool AnyOnVsockPort22(const std::vector<std::string>& addresses) {
  return std::any_of(addresses.begin(), addresses.end(), [](const auto& a) {
    return absl::StartsWith(a, "vsock:") && absl::EndsWith(a, ":22");
  });
}

// systemd >= 256: its generator does everything but vsock::22 where the
// transport came late or its CID query failed; ours binds that alone, and
// the socket does not start where systemd's own vsock socket exists.
void CoverVsock(const Facts& facts, const Switches& sw, Plan& plan) {
  Info(plan, "systemd's own systemd-ssh-generator is installed: standing "
             "down but for vsock::22 where it leaves that unbound");
  if (!facts.vm || !sw.ssh_auto || AnyOnVsockPort22(sw.extra)) return;
  AddVsock(facts, std::string(kSystemdVsockSocket), plan);
}

}  // namespace

std::optional<std::string> IssueText(std::optional<uint32_t> cid) {
  if (!cid || *cid <= VMADDR_CID_HOST || *cid == VMADDR_CID_ANY) {
    return std::nullopt;
  }
  return absl::StrCat("ssh vsock%", *cid);
}

Plan Decide(const Facts& facts) {
  Plan plan;
  plan.self = facts.self;
  if (std::string off = SshdOff(facts); !off.empty()) {
    Info(plan, absl::StrCat(off, ": no sshd sockets"));
    return plan;
  }
  DecideRootKey(facts, plan);
  if (facts.cmdline_error) {
    Warn(plan, absl::StrCat("cannot read the kernel command line (",
                            *facts.cmdline_error, "): no sshd sockets"));
    return plan;
  }
  Switches sw;
  plan.sshd = facts.sshd;
  plan.sshd_template = facts.sshd_template;
  if (facts.systemd_ssh_generator) {
    // Only the switches matter; systemd's generator reports bad values.
    Plan unused;
    ParseCmdline(facts, sw, unused);
    ParseListenCredential(facts, sw, unused);
    CoverVsock(facts, sw, plan);
    return plan;
  }
  ParseCmdline(facts, sw, plan);
  ParseListenCredential(facts, sw, plan);
  const bool extra_vsock22 = AnyOnVsockPort22(sw.extra);
  if (!sw.ssh_auto && sw.extra.empty()) {
    Info(plan, "turned off by systemd.ssh_auto=no");
    return plan;
  }
  if (sw.ssh_auto) AddAutomatic(facts, plan);
  AddExtras(std::move(sw.extra), plan);
  if (extra_vsock22) plan.vsock_recheck = false;
  for (const Listener& l : plan.listeners) {
    Info(plan, absl::StrCat("sshd on ", Quote(l.address), " (", l.name,
                            ".socket)"));
  }
  return plan;
}

Plan VsockOnly(const Plan& plan) {
  Plan only;
  only.sshd = plan.sshd;
  only.sshd_template = plan.sshd_template;
  only.self = plan.self;
  for (const Listener& l : plan.listeners) {
    if (l.name == kVsockUnit) only.listeners.push_back(l);
  }
  return only;
}

}  // namespace sshproxy::generator
