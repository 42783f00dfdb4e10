// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/run.h"

#include <errno.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libvirt/protocol.h"
#include "net/connect.h"
#include "net/error.h"
#include "net/handover.h"
#include "net/machine.h"
#include "net/mux.h"
#include "net/qemu.h"
#include "net/relay.h"
#include "net/wait.h"
#include "net/unique_fd.h"
#include "parser/target.h"

namespace sshproxy::cli {
namespace {

using net::WithHint;

// What to connect to: the parsed target, or for machine/NAME what
// systemd-machined says the machine is.
struct Endpoint {
  parser::Target target;    // never a parser::Machine
  std::string tcp_address;  // set: TCP to tcp_address:tcp_port instead
  uint16_t tcp_port = 0;
  std::string description;  // for --dry-run and --verbose
  std::string missing_hint; // what to say when the socket is not there
};

// How to give it more time, for a timeout.
std::string TimeoutHint(const Options& options) {
  if (options.wait > absl::ZeroDuration()) {
    return "is the listener hung, or its backlog full? a longer --wait waits longer";
  }
  return absl::StrCat("nothing answered within ",
                      absl::FormatDuration(options.connect_timeout),
                      " (--connect-timeout): is the listener hung, or its backlog "
                      "full? --connect-timeout=DURATION waits longer");
}

// For a refused or reset connection.
std::string UnavailableHint(const absl::Status& s, const Endpoint& e, const Options& options) {
  if (const auto* v = std::get_if<parser::Vsock>(&e.target)) {
    return absl::StrCat("is sshd listening on vsock port ", v->port,
                        " in the guest (systemd-ssh-generator does this), and is "
                        "the CID right?");
  }
  if (const auto* m = std::get_if<parser::VsockMux>(&e.target);
      m != nullptr && net::ReasonOf(s) == net::Reason::kPortNotOpen) {
    return absl::StrCat("is sshd listening on vsock port ", m->port,
                        " in the guest, and has it finished booting (",
                        options.wait > absl::ZeroDuration() ? "a longer --wait" : "--wait",
                        ")?");
  }
  if (!e.tcp_address.empty()) {
    return absl::StrCat("is sshd running in the VM and listening on ",
                        absl::CHexEscape(e.tcp_address), " port ", e.tcp_port, "?");
  }
  return "the socket file exists but nothing accepts on it (a stale socket "
         "of a stopped VM or container?): start the VM or container, or remove "
         "the stale socket file";
}

// For AF_VSOCK failures that are about this machine, not the guest.
std::string VsockHint(const absl::Status& s) {
  const int error = net::ErrnoOf(s);
  if (net::ReasonOf(s) == net::Reason::kSocketCreate && (error == EPERM || error == EACCES)) {
    return "this system forbids AF_VSOCK sockets here (a seccomp filter or "
           "security module, as in containers and sandboxes): run it where vsock "
           "is allowed";
  }
  if (error == EAFNOSUPPORT || error == ENODEV) {
    return "this kernel has no AF_VSOCK transport (load vhost_vsock on a host, "
           "vmw_vsock_virtio_transport in a guest)";
  }
  return "";
}

// The advice for the failures people hit, by what was being reached.
std::string ConnectHint(const absl::Status& s, const Endpoint& e, const Options& options) {
  if (std::holds_alternative<parser::Vsock>(e.target)) {
    if (std::string hint = VsockHint(s); !hint.empty()) return hint;
  }
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      if (!e.missing_hint.empty()) return e.missing_hint;
      if (std::holds_alternative<parser::LocalHost>(e.target)) {
        return "is the local sshd listening there? systemd-ssh-generator "
               "(systemd 256+) creates that socket; --local-socket names another";
      }
      return "is the VM or container running, and is its sshd socket-activated "
             "(e.g. by systemd-ssh-generator)?";
    case absl::StatusCode::kPermissionDenied:
      return "the socket's owner, group and mode decide who may connect, and each "
             "directory above it must let this user search it (namei -l PATH shows "
             "which refuses): run as a user who may, or ask for group access";
    case absl::StatusCode::kFailedPrecondition:
      return "is the path right? it must name the socket file itself";
    case absl::StatusCode::kUnavailable:
      return UnavailableHint(s, e, options);
    case absl::StatusCode::kDeadlineExceeded:
      return TimeoutHint(options);
    case absl::StatusCode::kDataLoss:
      return "is this a Firecracker or cloud-hypervisor vsock socket?";
    default:
      return "";
  }
}

// One connection attempt, bounded by `timeout`.
absl::StatusOr<net::UniqueFd> ConnectOnce(net::Syscalls& sys,
                                          const Endpoint& endpoint,
                                          const Options& options,
                                          absl::Duration timeout, const Io& io) {
  const net::ConnectOptions connect{timeout};
  const parser::Target& target = endpoint.target;
  if (!endpoint.tcp_address.empty()) {
    return net::ConnectTcp(sys, endpoint.tcp_address, endpoint.tcp_port, connect);
  }
  if (const auto* u = std::get_if<parser::UnixSocket>(&target)) {
    return net::ConnectUnix(sys, u->path, connect);
  }
  if (const auto* v = std::get_if<parser::Vsock>(&target)) {
    return net::ConnectVsock(sys, v->cid, v->port, connect);
  }
  if (const auto* m = std::get_if<parser::VsockMux>(&target)) {
    net::MuxReply reply;
    absl::StatusOr<net::UniqueFd> fd = net::ConnectVsockMux(
        sys, m->path, m->port, connect, options.mux_timeout, &reply);
    if (fd.ok() && io.debug) {
      switch (reply.kind) {
        case net::MuxReply::Kind::kOk:
          io.debug(absl::StrCat("multiplexer answered OK ", reply.host_port));
          break;
        case net::MuxReply::Kind::kNoOkLine:
          io.debug("multiplexer sent no OK line; the guest spoke first");
          break;
        case net::MuxReply::Kind::kSilent:
          io.debug(absl::StrCat("no reply within ", absl::FormatDuration(options.mux_timeout),
                                "; taking it for a multiplexer without OK lines"));
          break;
      }
    }
    return fd;
  }
  return net::ConnectUnix(sys, options.local_socket, connect);  // LocalHost
}

std::string Describe(const parser::Target& target, const Options& options) {
  if (std::holds_alternative<parser::LocalHost>(target)) {
    return absl::StrCat("local host ", absl::CHexEscape(options.local_socket));
  }
  if (const auto* q = std::get_if<parser::Qemu>(&target); q != nullptr) {
    if (!options.libvirt_uri.empty()) {
      return absl::StrCat("qemu ", q->domain, " (", absl::CHexEscape(options.libvirt_uri),
                          ") port=", q->port);
    }
    // The helper skips root's session (libvirt/helper.h), as libvirt-ssh-proxy does.
    if (q->scope == parser::QemuScope::kAny) {
      return absl::StrCat("qemu ", q->domain,
                          " (qemu:///system, then qemu:///session unless root) port=",
                          q->port);
    }
  }
  return parser::DescribeTarget(target);
}

// The least time a qemu/ lookup gets. Otherwise it is bounded like a
// machined call (--connect-timeout, or what is left of --wait), but the last
// attempt of --wait may have only milliseconds left, and a lookup cut short
// would hide libvirt's actual answer (say, "shut off") behind a timeout.
constexpr absl::Duration kMinLibvirtTimeout = absl::Seconds(1);

libvirt::Scope ScopeOf(parser::QemuScope scope) {
  switch (scope) {
    case parser::QemuScope::kSystem: return libvirt::Scope::kSystem;
    case parser::QemuScope::kSession: return libvirt::Scope::kSession;
    case parser::QemuScope::kAny: break;
  }
  return libvirt::Scope::kAny;
}

// qemu/NAME: the domain's vsock CID from libvirt, through the helper
// (net/qemu.h), within `timeout` (at least kMinLibvirtTimeout).
absl::StatusOr<Endpoint> ResolveQemu(net::Syscalls& sys, const parser::Qemu& q,
                                     const Options& options, absl::Duration timeout) {
  absl::StatusOr<net::LibvirtDomain> d = net::LookupLibvirtDomain(
      sys, {ScopeOf(q.scope), q.domain, options.libvirt_uri},
      std::max(timeout, kMinLibvirtTimeout));
  if (absl::IsDeadlineExceeded(d.status())) {
    return WithHint(d.status(),
                    "is libvirt's daemon (libvirtd or virtqemud) hung, or slow to "
                    "start? --connect-timeout=DURATION gives it longer");
  }
  if (!d.ok()) return d.status();
  const parser::Vsock v{d->cid, q.port};
  return Endpoint{v, "", 0,
                  absl::StrCat("qemu ", q.domain, " (", absl::CHexEscape(d->uri),
                               ", domain ", d->id,
                               d->name == q.domain ? "" : absl::StrCat(" ", d->name),
                               "): ", parser::DescribeTarget(v)),
                  ""};
}

// A VM that machined knows: its vsock CID, else its SSH address over TCP.
absl::StatusOr<Endpoint> MachineVm(const parser::Machine& m, const net::MachineRecord& r,
                                   const parser::Target& target, absl::string_view what) {
  if (r.vsock_cid.has_value()) {
    parser::Vsock v{*r.vsock_cid, m.port};
    return Endpoint{v, "", 0, absl::StrCat(what, ": ", parser::DescribeTarget(v)), ""};
  }
  if (r.ssh_address.has_value()) {
    if (m.port > 65535) {
      // The port came from the command line: it is the caller's to fix.
      return AsUsageError(absl::InvalidArgumentError(absl::StrCat(
          what, " is reached over TCP, and port ", m.port,
          " is not a TCP port: give a port from 1 to 65535")));
    }
    return Endpoint{target, *r.ssh_address, static_cast<uint16_t>(m.port),
                    absl::StrCat(what, ": tcp ", absl::CHexEscape(*r.ssh_address),
                                 " port=", m.port),
                    ""};
  }
  return WithHint(
      absl::FailedPreconditionError(
          absl::StrCat("machine ", m.name, " has no AF_VSOCK CID and no SSH address")),
      "give the VM a vsock device (systemd-vmspawn does), or ssh to its address");
}

// machine/NAME: what systemd-machined says the machine is, within `timeout`.
absl::StatusOr<Endpoint> ResolveMachine(net::Syscalls& sys, const parser::Machine& m,
                                        const parser::Target& target,
                                        const Options& options, absl::Duration timeout) {
  absl::StatusOr<net::MachineLookup> lookup = net::LookupMachine(
      sys, m.name, net::MachineScopes{options.user_runtime_dir, options.system_runtime_dir},
      timeout);
  if (!lookup.ok()) return lookup.status();
  const net::MachineRecord& r = lookup->record;
  const std::string what = absl::StrCat(
      "machine ", m.name, " (", lookup->scope, " scope, class ",
      r.machine_class.empty() ? "?" : absl::CHexEscape(r.machine_class),
      r.service.empty() ? "" : absl::StrCat(", service ", absl::CHexEscape(r.service)), ")");
  if (r.machine_class == "vm") return MachineVm(m, r, target, what);
  if (r.machine_class == "container") {
    if (r.service == "systemd-nspawn") {
      parser::UnixSocket u{net::NspawnSshSocket(lookup->runtime_dir, m.name)};
      return Endpoint{u, "", 0, absl::StrCat(what, ": ", parser::DescribeTarget(u)),
                      "the container exports its sshd there only when sshd and "
                      "systemd-ssh-generator (systemd 256+) are enabled in it"};
    }
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": only systemd-nspawn containers export their sshd where it can be "
        "found; name its sshd's socket with unix/PATH"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": only VMs and containers can be reached"));
}

// What `target` is; asks machined for machine/NAME and libvirt for qemu/NAME,
// each call bounded by `timeout`.
absl::StatusOr<Endpoint> Resolve(net::Syscalls& sys, const parser::Target& target,
                                 const Options& options, absl::Duration timeout) {
  if (const auto* q = std::get_if<parser::Qemu>(&target)) {
    return ResolveQemu(sys, *q, options, timeout);
  }
  if (const auto* m = std::get_if<parser::Machine>(&target)) {
    return ResolveMachine(sys, *m, target, options, timeout);
  }
  return Endpoint{target, "", 0, Describe(target, options), ""};
}

// Whether to hand the connection over (true) or relay it (false), decided
// before connecting: a connection that cannot be handed over would wake the
// guest's sshd for nothing.
absl::StatusOr<bool> DecideFdpass(net::Syscalls& sys, const Options& options,
                                  const Io& io) {
  if (options.mode == Options::Mode::kRelay) return false;
  absl::StatusOr<bool> is_socket = net::IsUnixSocket(sys, io.out);
  if (!is_socket.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("stdout: ", is_socket.status().message()));
  }
  if (options.mode == Options::Mode::kFdpass) {
    if (*is_socket) return true;
    return absl::FailedPreconditionError(
        "stdout is not a socket, so the connection cannot be handed over: run "
        "this from ssh with 'ProxyUseFdpass yes', or use --mode=relay");
  }
  if (!*is_socket) return false;
  // A socketpair from anybody but ssh would swallow the descriptor unread.
  absl::StatusOr<bool> ssh = net::PeerIsSsh(sys, io.out);
  if (!ssh.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stdout is a socket, but whether ssh is at its other end cannot be told (",
        ssh.status().message(), "): use --mode=fdpass under ssh's ProxyUseFdpass, "
        "--mode=relay for anything else"));
  }
  return *ssh;
}

// The standard descriptors the chosen mode needs. Closed ones were filled
// with /dev/null at start (net/standard_fds.h) and arrive here as -1.
absl::Status CheckStandardFds(const Io& io, bool fdpass) {
  if (io.out < 0) {
    return absl::FailedPreconditionError(
        "stdout is closed, so the connection has nowhere to go: run this as "
        "ssh's ProxyCommand, or with stdout open");
  }
  if (io.in < 0 && !fdpass) {
    return absl::FailedPreconditionError(
        "stdin is closed, so there is nothing to relay: run this as ssh's "
        "ProxyCommand, or with stdin open (</dev/null sends nothing)");
  }
  return absl::OkStatus();
}

struct Connection {
  net::UniqueFd fd;
  std::string description;  // what it is connected to
  bool tcp = false;         // a VM reached over TCP (machined's sshAddress)
};

// Resolves and connects, both inside --wait: a machine that registers late
// is retried like a socket that appears late.
absl::StatusOr<Connection> Reach(net::Syscalls& sys, const parser::Target& target,
                                 const Options& options, const Io& io) {
  std::optional<Endpoint> endpoint;  // of the latest attempt that resolved
  absl::StatusOr<net::UniqueFd> fd = net::RetryUntil(
      sys, options.wait, options.connect_timeout,
      [&](absl::Duration timeout) -> absl::StatusOr<net::UniqueFd> {
        absl::StatusOr<Endpoint> resolved = Resolve(sys, target, options, timeout);
        if (!resolved.ok()) return resolved.status();
        const bool looked_up = std::holds_alternative<parser::Machine>(target) ||
                               std::holds_alternative<parser::Qemu>(target);
        if (io.debug && looked_up &&
            (!endpoint || endpoint->description != resolved->description)) {
          io.debug(resolved->description);
        }
        endpoint = *std::move(resolved);
        return ConnectOnce(sys, *endpoint, options, timeout, io);
      },
      io.debug);
  if (!fd.ok()) {
    if (!endpoint) return fd.status();  // machined's or libvirt's answer says it all
    return WithHint(fd.status(), ConnectHint(fd.status(), *endpoint, options));
  }
  if (io.debug) {
    io.debug(absl::StrCat("connected to ", endpoint->description, " as fd ", fd->get()));
  }
  return Connection{*std::move(fd), endpoint->description, !endpoint->tcp_address.empty()};
}

absl::Status RelayConnection(net::Syscalls& sys, const Connection& c, const Io& io) {
  if (c.tcp) {
    // Only latency is at stake: a failure is worth a debug line, not an exit.
    absl::Status nodelay = net::SetTcpNoDelay(sys, c.fd.get());
    if (!nodelay.ok() && io.debug) io.debug(std::string(nodelay.message()));
  }
  net::RelayStats stats;
  absl::Status s = net::Relay(sys, io.in, io.out, c.fd.get(), &stats);
  if (io.debug) {
    io.debug(absl::StrCat("relayed ", stats.to_socket, " bytes to and ",
                          stats.from_socket, " bytes from ", c.description,
                          stats.spliced ? " with splice" : " with read/write"));
  }
  return s;
}

}  // namespace

absl::Status AsUsageError(absl::Status status) {
  return net::WithReason(std::move(status), net::Reason::kBadInput);
}

int ExitCode(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (net::ReasonOf(status) == net::Reason::kBadInput) return kExitUsage;
  return kExitFailure;
}

std::string ErrorLine(const absl::Status& status) {
  const std::string waited = net::WaitedOf(status);
  const std::string hint = net::HintOf(status);
  return absl::StrCat("ssh-socket-proxy: ", status.message(),
                      waited.empty() ? "" : absl::StrCat(" (", waited, ")"),
                      hint.empty() ? "" : absl::StrCat("; ", hint));
}

absl::Status Run(net::Syscalls& sys, const Options& options, const Io& io) {
  absl::StatusOr<parser::Target> target =
      parser::ParseTarget(options.host, options.port);
  if (!target.ok()) return AsUsageError(target.status());
  if (std::holds_alternative<parser::Qemu>(*target) && !options.libvirt_uri.empty() &&
      !net::IsLocalLibvirtUri(options.libvirt_uri)) {
    // Checked before anything is asked: a remote libvirt answers with CIDs of
    // its own host, which the proxy would dial on this one.
    return AsUsageError(absl::InvalidArgumentError(absl::StrCat(
        "SSH_SOCKET_PROXY_LIBVIRT_URI=", absl::CHexEscape(options.libvirt_uri),
        " is not a libvirt on this machine, and a VM's vsock CID means nothing on "
        "another: use qemu:///system, qemu:///session or unset it")));
  }
  if (io.debug) {
    io.debug(absl::StrCat("host ", parser::FormatTarget(*target), " is ",
                          Describe(*target, options)));
  }

  if (options.action == Options::Action::kDryRun) {
    absl::StatusOr<Endpoint> endpoint =
        Resolve(sys, *target, options, options.connect_timeout);
    if (!endpoint.ok()) return endpoint.status();
    io.print(endpoint->description);
    return absl::OkStatus();
  }

  if (absl::Status s = CheckStandardFds(io, /*fdpass=*/true); !s.ok()) return s;
  absl::StatusOr<bool> fdpass = DecideFdpass(sys, options, io);
  if (!fdpass.ok()) return fdpass.status();
  if (absl::Status s = CheckStandardFds(io, *fdpass); !s.ok()) return s;
  if (io.debug) io.debug(*fdpass ? "mode fdpass" : "mode relay");

  absl::StatusOr<Connection> connection = Reach(sys, *target, options, io);
  if (!connection.ok()) return connection.status();
  if (!*fdpass) return RelayConnection(sys, *connection, io);
  const int fd = connection->fd.get();
  if (absl::Status s = net::SendFd(sys, io.out, fd); !s.ok()) return s;
  if (io.debug) io.debug(absl::StrCat("handed fd ", fd, " over on fd ", io.out));
  return absl::OkStatus();
}

}  // namespace sshproxy::cli
