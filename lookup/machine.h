// Copyright 2026 The ssh-socket-proxy Authors.
//
// machine/NAME: finding a VM or container by name through systemd-machined's
// Varlink interface (lookup/varlink.h), io.systemd.Machine. What its record
// becomes, an address, is lookup/resolve.h's.
//
//   call:   {"method":"io.systemd.Machine.List","parameters":{"name":"NAME"}}
//   reply:  {"parameters":{"name":"NAME","class":"vm","service":"...",
//            "vSockCid":4711,"sshAddress":"...",...}}
//   or:     {"error":"io.systemd.Machine.NoSuchMachine","parameters":{}}
//
// The per-user machined ($XDG_RUNTIME_DIR/systemd/machine/io.systemd.Machine)
// is asked first, then the system one (/run/systemd/machine/...).

#ifndef SSHPROXY_LOOKUP_MACHINE_H_
#define SSHPROXY_LOOKUP_MACHINE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/syscalls.h"

namespace sshproxy::lookup {

// The fields of a machine record that matter here; others are ignored.
struct MachineRecord {
  std::string machine_class;  // "vm", "container", ...
  std::string service;        // "systemd-nspawn", "systemd-vmspawn", ...
  std::optional<uint32_t> vsock_cid;
  std::optional<std::string> ssh_address;  // an IP literal
};

// Decodes one reply to io.systemd.Machine.List. Returns the record, or
//   NotFoundError          io.systemd.Machine.NoSuchMachine;
//   FailedPreconditionError any other Varlink error (named in the message);
//   DataLossError          malformed JSON, no "parameters" object, or a field
//                          of the wrong type (named).
// Pure: no I/O. Fuzzed by //fuzz:varlink_reply_fuzz_test.
absl::StatusOr<MachineRecord> DecodeMachineReply(absl::string_view reply);

// Where machined listens. Tests point these at their own directories.
struct MachineScopes {
  std::string user_runtime_dir;    // $XDG_RUNTIME_DIR; empty: no user scope
  std::string system_runtime_dir;  // "/run"
};

struct MachineLookup {
  std::string scope;        // "user" or "system": who answered
  std::string runtime_dir;  // that scope's runtime directory
  MachineRecord record;
};

// Asks the user scope, then the system scope, for `name`. Falls back to the
// system scope when the user one does not know the machine and also when its
// socket is missing or refuses (systemd-ssh-proxy gives up there). Fails with
// NotFoundError when no scope knows the machine or no machined runs at all
// (the message says which), or with the error of the last scope asked.
// Each call is bounded by `timeout`.
absl::StatusOr<MachineLookup> LookupMachine(net::Syscalls& sys,
                                            absl::string_view name,
                                            const MachineScopes& scopes,
                                            absl::Duration timeout);

// The AF_UNIX socket a systemd-nspawn container exports its sshd on:
// <runtime_dir>/systemd/nspawn/unix-export/<name>/ssh.
std::string NspawnSshSocket(absl::string_view runtime_dir,
                            absl::string_view name);

}  // namespace sshproxy::lookup

#endif  // SSHPROXY_LOOKUP_MACHINE_H_
