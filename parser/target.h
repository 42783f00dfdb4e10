// Copyright 2026 The ssh-socket-proxy Authors.
//
// Host strings: what ssh passes to its ProxyCommand as %h, turned into the
// socket to connect to. The bottom of the layering: parser/ includes
// nothing of this tree (Abseil and RE2 only, no I/O); cli/ and lookup/
// include it, and other workspaces reuse it (testdata/consumer).
//
// The grammar is systemd-ssh-proxy's, made strict where systemd is sloppy:
//
//   unix/PATH          AF_UNIX socket. "unix/run/vm.sock" is /run/vm.sock;
//                      a PATH starting with "/" or "./" is used as given
//                      ("unix//run/vm.sock" is /run/vm.sock too,
//                      "unix/./vm.sock" is relative to the working directory).
//   vsock/CID          AF_VSOCK; CID is decimal ("4711"), hexadecimal
//                      ("0x1267") or a name: hypervisor (0), local (1),
//                      host (2). The port is ssh's %p.
//   vsock-mux/PATH     Firecracker / cloud-hypervisor: a guest's vsock behind
//                      one AF_UNIX socket, PATH as for unix/, port from %p.
//   machine/NAME       A VM or container registered with systemd-machined;
//                      "machine/.host" is the local host.
//   qemu/DOMAIN        A libvirt domain (name, UUID or numeric ID) with a
//                      <vsock> device, looked up at qemu:///system, then
//                      qemu:///session; "qemu:system/DOMAIN" and
//                      "qemu:session/DOMAIN" ask only that one. As
//                      libvirt-ssh-proxy (libvirt 10.8+) spells it.
//   .host              The local host's sshd on /run/ssh-unix-local/socket.
//
// "%" may stand for the "/" right after the prefix ("unix%run/vm.sock"):
// scp and rsync treat "/" in host names specially, and ssh lowercases host
// names that contain "/" but keeps the case of those that contain "%".
//
// Strictness that systemd lacks, each with an error that says why:
//   - "unix/" (empty path) is refused; systemd would connect to "/".
//   - numbers have no sign, no whitespace, no trailing junk, no leading zero
//     ("010" would be octal 8 to systemd) and fit in 32 bits;
//   - CID 4294967295 (VMADDR_CID_ANY) and port 4294967295 (VMADDR_PORT_ANY)
//     are wildcards, not addresses;
//   - a NUL byte anywhere is refused.
//
// Example:
//
//   absl::StatusOr<Target> t = ParseTarget("vsock/0x1267", "22");
//   if (!t.ok()) { ... t.status().message() names the bad part ... }
//   const Vsock& v = std::get<Vsock>(*t);   // v.cid == 4711, v.port == 22
//   FormatTarget(*t) == "vsock/4711"
//
// This library does no I/O and has no global state; it is safe to call from
// any thread.

#ifndef SSHPROXY_PARSER_TARGET_H_
#define SSHPROXY_PARSER_TARGET_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sshproxy::parser {

// The socket of the local host's sshd, as systemd-ssh-generator creates it.
inline constexpr absl::string_view kLocalHostSocket =
    "/run/ssh-unix-local/socket";

// An AF_UNIX stream socket. `path` is never empty and has no NUL byte; it may
// be longer than sockaddr_un's sun_path (the connector copes).
struct UnixSocket {
  std::string path;
};

// An AF_VSOCK address. `cid` is never VMADDR_CID_ANY, `port` never
// VMADDR_PORT_ANY (both 0xffffffff).
struct Vsock {
  uint32_t cid = 0;
  uint32_t port = 0;
};

// A guest port behind a hypervisor's vsock multiplexer socket (Firecracker,
// cloud-hypervisor): connect to `path`, then send "CONNECT <port>\n".
struct VsockMux {
  std::string path;
  uint32_t port = 0;
};

// A machine registered with systemd-machined, looked up by `name` (a valid
// host name, never ".host"). `port` applies when it turns out to be a VM.
struct Machine {
  std::string name;
  uint32_t port = 0;
};

// Which libvirt connection(s) a qemu/ host string asks.
enum class QemuScope {
  kAny,      // qemu/: qemu:///system, then qemu:///session
  kSystem,   // qemu:system/
  kSession,  // qemu:session/
};

// A libvirt domain: `domain` is its name, UUID or numeric ID, as the user
// wrote it (1 to 255 letters, digits, "-", "_", ".", "+"; the lookup decides
// which it is). `port` is the vsock port to connect to once its CID is known.
struct Qemu {
  QemuScope scope = QemuScope::kAny;
  std::string domain;
  uint32_t port = 0;
};

// The local host: its sshd's AF_UNIX socket (kLocalHostSocket by default).
struct LocalHost {};

bool operator==(const UnixSocket& a, const UnixSocket& b);
bool operator==(const Vsock& a, const Vsock& b);
bool operator==(const VsockMux& a, const VsockMux& b);
bool operator==(const Machine& a, const Machine& b);
bool operator==(const Qemu& a, const Qemu& b);
bool operator==(const LocalHost& a, const LocalHost& b);
bool operator!=(const UnixSocket& a, const UnixSocket& b);
bool operator!=(const Vsock& a, const Vsock& b);
bool operator!=(const VsockMux& a, const VsockMux& b);
bool operator!=(const Machine& a, const Machine& b);
bool operator!=(const Qemu& a, const Qemu& b);
bool operator!=(const LocalHost& a, const LocalHost& b);

// What a host string names. Compare with == (std::variant's).
using Target =
    std::variant<UnixSocket, Vsock, VsockMux, Machine, LocalHost, Qemu>;

// Largest CID or port: 0xffffffff is the wildcard (VMADDR_*_ANY).
inline constexpr uint32_t kMaxVsockNumber = 4294967294u;

// Parses ssh's %h (`host`) and %p (`port`). Returns the target iff `host`
// follows the grammar above and, for targets that use a port (vsock,
// vsock-mux, machine, qemu), `port` is a decimal number from 0 to 4294967294.
// `port` is ignored for unix/ and the local host.
//
// Otherwise returns InvalidArgumentError whose message names the offending
// part, quoted with C escapes, and says why, e.g.
//   vsock CID "010": leading zeros are ambiguous (octal?); write 8 or 0x8
absl::StatusOr<Target> ParseTarget(absl::string_view host,
                                   absl::string_view port);

// Returns the canonical host string of `target`: "/" as separator, numbers in
// decimal, CID names resolved. For every target that ParseTarget returns,
// ParseTarget(FormatTarget(t), FormatPort(t)) == t.
std::string FormatTarget(const Target& target);

// Returns the port of `target` in decimal, or "" for targets without one
// (unix/ and the local host).
std::string FormatPort(const Target& target);

// Returns a one-line description for humans and --dry-run, e.g.
// "unix /run/vm.sock", "vsock cid=4711 port=22",
// "vsock-mux /run/fc.sock port=22", "machine foo port=22",
// "qemu web (qemu:///system or qemu:///session) port=22",
// "local host /run/ssh-unix-local/socket". Paths are C-escaped.
std::string DescribeTarget(const Target& target);

}  // namespace sshproxy::parser

#endif  // SSHPROXY_PARSER_TARGET_H_
