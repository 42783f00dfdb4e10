// Copyright 2026 The ssh-socket-proxy Authors.
//
// Decide(): from Facts to a Plan, with the rules of systemd 257's
// src/ssh-generator/ssh-generator.c; no I/O.

#include <linux/vm_sockets.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
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

// Input as it may appear in a log line: one line, whatever it holds.
std::string Quote(absl::string_view s) { return absl::CEscape(s); }

struct Switches {
  bool ssh_auto = true;
  std::vector<std::string> extra;  // canonical addresses
};

void AddExtra(absl::string_view value, absl::string_view source,
              const Facts& facts, Switches& sw, Plan& plan) {
  absl::StatusOr<std::string> address = CanonicalAddress(value, facts.ipv6);
  if (!address.ok()) {
    plan.messages.push_back(absl::StrCat("ignoring ", source, ": ",
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
        plan.messages.push_back(
            absl::StrCat("ignoring ", Quote(word), ": not a boolean"));
      }
    } else if (key == "systemd.ssh_listen") {
      if (kv.size() == 1) {
        plan.messages.push_back(absl::StrCat("ignoring ", Quote(word), ": no value"));
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

void AddAutomatic(const Facts& facts, Plan& plan) {
  if (facts.vm) {
    if (facts.vsock_cid && *facts.vsock_cid != VMADDR_CID_ANY) {
      plan.listeners.push_back(
          {absl::StrCat(kUnitPrefix, "vsock"), "vsock::22", "AF_VSOCK"});
      plan.messages.push_back(absl::StrCat(
          "binding sshd to vsock::22; from the host: ssh vsock/",
          *facts.vsock_cid));
    } else {
      plan.messages.push_back(absl::StrCat(
          "no AF_VSOCK transport, not listening on vsock::22 (",
          facts.vsock_cid ? "no local CID" : facts.vsock_error, ")"));
    }
  }
  plan.listeners.push_back({absl::StrCat(kUnitPrefix, "unix-local"),
                            "/run/ssh-unix-local/socket", "AF_UNIX Local"});
  if (facts.unix_export) {
    plan.listeners.push_back({absl::StrCat(kUnitPrefix, "unix-export"),
                              "/run/host/unix-export/ssh", "AF_UNIX Export"});
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
      plan.messages.push_back(
          absl::StrCat("ignoring ", address, ": already bound"));
      continue;
    }
    std::string name = absl::StrCat(kUnitPrefix, "extra");
    if (n > 1) absl::StrAppend(&name, "-", n);
    plan.listeners.push_back({name, address, address});
    ++n;
  }
}

}  // namespace

Plan Decide(const Facts& facts) {
  Plan plan;
  if (facts.systemd_ssh_generator) {
    plan.messages.push_back(
        "systemd's own systemd-ssh-generator is installed: standing down");
    return plan;
  }
  if (facts.sshd.empty()) {
    plan.messages.push_back("no sshd installed: nothing to do");
    return plan;
  }
  if (!facts.root_key_credential.empty() && !facts.systemd_imports_root_key) {
    plan.root_key_credential = facts.root_key_credential;
  }
  Switches sw;
  ParseCmdline(facts, sw, plan);
  ParseListenCredential(facts, sw, plan);
  if (!sw.ssh_auto && sw.extra.empty()) {
    plan.messages.push_back("turned off by systemd.ssh_auto=no");
    return plan;
  }
  plan.sshd = facts.sshd;
  plan.sshd_template = facts.sshd_template;
  if (sw.ssh_auto) AddAutomatic(facts, plan);
  AddExtras(std::move(sw.extra), plan);
  for (const Listener& l : plan.listeners) {
    plan.messages.push_back(absl::StrCat("sshd on ", l.address, " (", l.name,
                                         ".socket)"));
  }
  return plan;
}

}  // namespace sshproxy::generator
