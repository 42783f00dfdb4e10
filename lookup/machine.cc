// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/machine.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/connect.h"
#include "net/error.h"
#include "lookup/varlink.h"
#include "nlohmann/json.hpp"

namespace sshproxy::lookup {
namespace {

using nlohmann::json;

constexpr absl::string_view kNoSuchMachine = "io.systemd.Machine.NoSuchMachine";

absl::Status WrongType(absl::string_view field, absl::string_view want) {
  return absl::DataLossError(
      absl::StrCat("machined reply: \"", field, "\" is not ", want));
}

// A string field, if present; an error if present with another type.
absl::Status OptionalString(const json& object, const char* field,
                            std::optional<std::string>* out) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return WrongType(field, "a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

// No scope had a machined to ask. `missing` says, per socket, what was found
// there. A socket that refuses is one a machined left behind when it stopped
// (or crashed): starting it again is the cure, not looking for a missing
// package.
absl::Status NoMachined(absl::string_view name, const std::vector<std::string>& missing,
                        bool refused) {
  return net::WithHint(
      absl::NotFoundError(absl::StrCat("no systemd-machined to ask about machine ", name,
                                       ": ", absl::StrJoin(missing, "; "))),
      refused ? "systemd-machined is not running (its socket file is left): start it "
                "(systemctl start systemd-machined; systemctl status systemd-machined "
                "says why it stopped)"
              : "is systemd-machined running? (systemctl status systemd-machined)");
}

}  // namespace

absl::StatusOr<MachineRecord> DecodeMachineReply(absl::string_view reply) {
  const json doc = json::parse(reply.begin(), reply.end(), nullptr,
                               /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::DataLossError("machined reply: not a JSON object");
  }
  if (auto error = doc.find("error"); error != doc.end()) {
    if (!error->is_string()) return WrongType("error", "a string");
    const std::string name = error->get<std::string>();
    if (name == kNoSuchMachine) return absl::NotFoundError(name);
    return absl::FailedPreconditionError(
        absl::StrCat("machined answered ", absl::CHexEscape(name)));
  }
  auto params = doc.find("parameters");
  if (params == doc.end() || !params->is_object()) {
    return absl::DataLossError("machined reply: no \"parameters\" object");
  }
  MachineRecord record;
  std::optional<std::string> text;
  if (absl::Status s = OptionalString(*params, "class", &text); !s.ok()) return s;
  record.machine_class = text.value_or("");
  text.reset();
  if (absl::Status s = OptionalString(*params, "service", &text); !s.ok()) return s;
  record.service = text.value_or("");
  if (absl::Status s = OptionalString(*params, "sshAddress", &record.ssh_address); !s.ok()) {
    return s;
  }
  if (auto cid = params->find("vSockCid"); cid != params->end() && !cid->is_null()) {
    if (!cid->is_number_unsigned() || cid->get<uint64_t>() >= 0xffffffffull) {
      return WrongType("vSockCid", "a CID (0 to 4294967294)");
    }
    record.vsock_cid = static_cast<uint32_t>(cid->get<uint64_t>());
  }
  return record;
}

std::string NspawnSshSocket(absl::string_view runtime_dir, absl::string_view name) {
  return absl::StrCat(runtime_dir, "/systemd/nspawn/unix-export/", name, "/ssh");
}

absl::StatusOr<MachineLookup> LookupMachine(net::Syscalls& sys, absl::string_view name,
                                            const MachineScopes& scopes,
                                            absl::Duration timeout) {
  struct Scope {
    const char* label;
    std::string runtime_dir;
  };
  std::vector<Scope> order;
  if (!scopes.user_runtime_dir.empty()) order.push_back({"user", scopes.user_runtime_dir});
  order.push_back({"system", scopes.system_runtime_dir});

  const std::string request =
      json{{"method", "io.systemd.Machine.List"}, {"parameters", {{"name", std::string(name)}}}}
          .dump();
  std::vector<std::string> missing;  // "PATH is not there", "PATH refuses ..."
  std::vector<std::string> unknown;  // scopes that do not know the machine
  bool refused = false;              // a socket file without a machined behind it
  for (const Scope& scope : order) {
    const std::string path =
        absl::StrCat(scope.runtime_dir, "/systemd/machine/io.systemd.Machine");
    const std::string what = absl::StrCat("machined (", scope.label, ") ", path);
    absl::StatusOr<net::UniqueFd> fd = net::ConnectUnix(sys, path, net::ConnectOptions{timeout});
    if (!fd.ok()) {
      // Missing or refusing: try the next scope (systemd stops here).
      if (absl::IsNotFound(fd.status())) {
        missing.push_back(absl::StrCat(path, " is not there"));
        continue;
      }
      if (absl::IsUnavailable(fd.status())) {
        refused = true;
        missing.push_back(absl::StrCat(path, " refuses connections (",
                                       fd.status().message(), ")"));
        continue;
      }
      return fd.status();
    }
    absl::StatusOr<std::string> reply =
        VarlinkCall(sys, fd->get(), request, sys.Now() + timeout, what);
    if (!reply.ok()) return reply.status();
    absl::StatusOr<MachineRecord> record = DecodeMachineReply(*reply);
    if (absl::IsNotFound(record.status())) {
      unknown.push_back(scope.label);
      continue;
    }
    if (!record.ok()) {
      return net::Reworded(record.status(), absl::StrCat(what, ": ", record.status().message()));
    }
    return MachineLookup{scope.label, scope.runtime_dir, *std::move(record)};
  }
  if (unknown.empty()) return NoMachined(name, missing, refused);
  return absl::NotFoundError(absl::StrCat(
      "machine ", name, " is not known to systemd-machined (asked the ",
      absl::StrJoin(unknown, " and "), " scope", unknown.size() > 1 ? "s" : "",
      "; machinectl list shows what is registered)"));
}

}  // namespace sshproxy::lookup
