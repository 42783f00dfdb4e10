// Copyright 2026 The ssh-socket-proxy Authors.
//
// The lookup layer: a parsed host string becomes an address to connect to.
// Most targets name their address already (unix/, vsock/, vsock-mux/,
// .host); machine/NAME asks systemd-machined (lookup/machine.h) and qemu/NAME
// asks libvirt through its helper (lookup/libvirt.h). The answer is typed,
// and says what it was resolved from, for messages and hints:
//
//   absl::StatusOr<Resolved> r = Resolve(sys, target, settings, timeout);
//   if (const auto* v = std::get_if<VsockAddress>(&r->address)) ...
//   r->description  // "machine web (system scope, class vm): vsock cid=9 port=22"
//
// Errors are Status values with their fields (net/error.h): a machine that
// is not registered yet is NotFound (waiting helps), a VM reached over TCP
// with a port that is no TCP port is Reason::kBadInput.
//
// Includes go one way: cli -> lookup -> net, lookup -> parser.

#ifndef SSHPROXY_LOOKUP_RESOLVE_H_
#define SSHPROXY_LOOKUP_RESOLVE_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lookup/process.h"
#include "parser/target.h"

namespace sshproxy::lookup {

// The four kinds of address the proxy connects to.
struct UnixAddress {
  std::string path;
};
struct VsockAddress {
  uint32_t cid = 0;
  uint32_t port = 0;
};
struct MuxAddress {  // a vsock multiplexer's AF_UNIX socket and guest port
  std::string path;
  uint32_t port = 0;
};
struct TcpAddress {  // an IP literal, never a name (machined's sshAddress)
  std::string host;
  uint16_t port = 0;
};
using Address = std::variant<UnixAddress, VsockAddress, MuxAddress, TcpAddress>;

// Where an address came from: the hints for a failed connect depend on it.
enum class Origin {
  kGiven,      // the host string named it (unix/, vsock/, vsock-mux/)
  kLocalHost,  // .host: the local sshd's socket
  kMachine,    // systemd-machined's record of a VM
  kNspawn,     // a systemd-nspawn container's unix-export socket
  kLibvirt,    // a libvirt domain's vsock CID
};

struct Resolved {
  Address address;
  Origin origin = Origin::kGiven;
  // What was looked up and what it became, for --dry-run and --verbose:
  // "qemu web (qemu:///system, domain 1): vsock cid=4711 port=22".
  std::string description;
};

// What lookups need from the command line and the environment.
struct Settings {
  std::string local_socket;        // .host's socket
  std::string user_runtime_dir;    // $XDG_RUNTIME_DIR; empty: no user machined
  std::string system_runtime_dir;  // "/run"
  std::string libvirt_uri;         // qemu/'s only connection; empty: the defaults
};

// The least time a qemu/ lookup gets. Otherwise it is bounded like a
// machined call (`timeout`), but the last attempt of --wait may have only
// milliseconds left, and a lookup cut short would hide libvirt's actual
// answer (say, "shut off") behind a timeout.
inline constexpr absl::Duration kMinLibvirtTimeout = absl::Seconds(1);

// Resolves `target`, asking machined or libvirt (each call bounded by
// `timeout`) when it names a machine or a domain. Fails with their errors
// (lookup/machine.h, lookup/libvirt.h), or FailedPrecondition for a
// machine that cannot be reached (no CID, no address, not a VM or an nspawn
// container), InvalidArgument with Reason::kBadInput for a port above 65535
// on a VM reached over TCP.
absl::StatusOr<Resolved> Resolve(ProcessSyscalls& sys, const parser::Target& target,
                                 const Settings& settings, absl::Duration timeout);

// What `target` is, before any lookup: "local host /run/ssh-unix-local/socket",
// "qemu web (qemu:///system, then qemu:///session unless root) port=22".
std::string Describe(const parser::Target& target, const Settings& settings);

// "unix:/run/x.sock", "vsock cid=3 port=22": how messages name an address.
std::string DescribeAddress(const Address& address);

// Returns OK iff `uri` may be asked (lookup/libvirt.h IsLocalLibvirtUri), else
// InvalidArgument with Reason::kBadInput naming it as `source` (the setting
// it came from).
absl::Status CheckLibvirtUri(absl::string_view uri, absl::string_view source);

}  // namespace sshproxy::lookup

#endif  // SSHPROXY_LOOKUP_RESOLVE_H_
