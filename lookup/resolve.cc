// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/resolve.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libvirt/protocol.h"
#include "lookup/libvirt.h"
#include "lookup/machine.h"
#include "net/error.h"

namespace sshproxy::lookup {
namespace {

// std::visit with one lambda per alternative.
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

libvirt::Scope ScopeOf(parser::QemuScope scope) {
  switch (scope) {
    case parser::QemuScope::kSystem: return libvirt::Scope::kSystem;
    case parser::QemuScope::kSession: return libvirt::Scope::kSession;
    case parser::QemuScope::kAny: break;
  }
  return libvirt::Scope::kAny;
}

Resolved Described(Address address, Origin origin, absl::string_view what) {
  std::string description = absl::StrCat(what, ": ", DescribeAddress(address));
  return Resolved{std::move(address), origin, std::move(description)};
}

// qemu/NAME: the domain's vsock CID from libvirt, through the helper, within
// `timeout` (at least kMinLibvirtTimeout).
absl::StatusOr<Resolved> ResolveQemu(ProcessSyscalls& sys, const parser::Qemu& q,
                                     const Settings& settings, absl::Duration timeout) {
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {ScopeOf(q.scope), q.domain, settings.libvirt_uri},
                          std::max(timeout, kMinLibvirtTimeout));
  if (absl::IsDeadlineExceeded(d.status())) {
    return net::WithHint(d.status(),
                         "is libvirt's daemon (libvirtd or virtqemud) hung, or slow to "
                         "start? --connect-timeout=DURATION gives it longer");
  }
  if (!d.ok()) return d.status();
  return Described(VsockAddress{d->cid, q.port}, Origin::kLibvirt,
                   absl::StrCat("qemu ", q.domain, " (", absl::CHexEscape(d->uri),
                                ", domain ", d->id,
                                d->name == q.domain ? "" : absl::StrCat(" ", d->name), ")"));
}

// A VM that machined knows: its vsock CID, else its SSH address over TCP.
absl::StatusOr<Resolved> MachineVm(const parser::Machine& m, const MachineRecord& r,
                                   absl::string_view what) {
  if (r.vsock_cid.has_value()) {
    return Described(VsockAddress{*r.vsock_cid, m.port}, Origin::kMachine, what);
  }
  if (r.ssh_address.has_value()) {
    if (m.port > 65535) {
      // The port came from the command line: it is the caller's to fix.
      return net::WithReason(
          absl::InvalidArgumentError(absl::StrCat(
              what, " is reached over TCP, and port ", m.port,
              " is not a TCP port: give a port from 1 to 65535")),
          net::Reason::kBadInput);
    }
    return Described(TcpAddress{*r.ssh_address, static_cast<uint16_t>(m.port)},
                     Origin::kMachine, what);
  }
  return net::WithHint(
      absl::FailedPreconditionError(
          absl::StrCat("machine ", m.name, " has no AF_VSOCK CID and no SSH address")),
      "give the VM a vsock device (systemd-vmspawn does), or ssh to its address");
}

// machine/NAME: what systemd-machined says the machine is, within `timeout`.
absl::StatusOr<Resolved> ResolveMachine(net::Syscalls& sys, const parser::Machine& m,
                                        const Settings& settings, absl::Duration timeout) {
  absl::StatusOr<MachineLookup> lookup = LookupMachine(
      sys, m.name, MachineScopes{settings.user_runtime_dir, settings.system_runtime_dir},
      timeout);
  if (!lookup.ok()) return lookup.status();
  const MachineRecord& r = lookup->record;
  const std::string what = absl::StrCat(
      "machine ", m.name, " (", lookup->scope, " scope, class ",
      r.machine_class.empty() ? "?" : absl::CHexEscape(r.machine_class),
      r.service.empty() ? "" : absl::StrCat(", service ", absl::CHexEscape(r.service)), ")");
  if (r.machine_class == "vm") return MachineVm(m, r, what);
  if (r.machine_class == "container") {
    if (r.service == "systemd-nspawn") {
      return Described(UnixAddress{NspawnSshSocket(lookup->runtime_dir, m.name)},
                       Origin::kNspawn, what);
    }
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": only systemd-nspawn containers export their sshd where it can be "
        "found; name its sshd's socket with unix/PATH"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": only VMs and containers can be reached"));
}

}  // namespace

std::string DescribeAddress(const Address& address) {
  return std::visit(
      Overloaded{
          [](const UnixAddress& a) { return absl::StrCat("unix ", absl::CHexEscape(a.path)); },
          [](const VsockAddress& a) {
            return absl::StrCat("vsock cid=", a.cid, " port=", a.port);
          },
          [](const MuxAddress& a) {
            return absl::StrCat("vsock-mux ", absl::CHexEscape(a.path), " port=", a.port);
          },
          [](const TcpAddress& a) {
            return absl::StrCat("tcp ", absl::CHexEscape(a.host), " port=", a.port);
          },
      },
      address);
}

std::string Describe(const parser::Target& target, const Settings& settings) {
  if (std::holds_alternative<parser::LocalHost>(target)) {
    return absl::StrCat("local host ", absl::CHexEscape(settings.local_socket));
  }
  if (const auto* q = std::get_if<parser::Qemu>(&target); q != nullptr) {
    if (!settings.libvirt_uri.empty()) {
      return absl::StrCat("qemu ", q->domain, " (", absl::CHexEscape(settings.libvirt_uri),
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

absl::Status CheckLibvirtUri(absl::string_view uri, absl::string_view source) {
  if (uri.empty() || IsLocalLibvirtUri(uri)) return absl::OkStatus();
  return net::WithReason(
      absl::InvalidArgumentError(absl::StrCat(
          source, "=", absl::CHexEscape(uri),
          " is not a libvirt on this machine, and a VM's vsock CID means nothing on "
          "another: use qemu:///system, qemu:///session or unset it")),
      net::Reason::kBadInput);
}

absl::StatusOr<Resolved> Resolve(ProcessSyscalls& sys, const parser::Target& target,
                                 const Settings& settings, absl::Duration timeout) {
  const std::string described = Describe(target, settings);
  return std::visit(
      Overloaded{
          [&](const parser::UnixSocket& t) -> absl::StatusOr<Resolved> {
            return Resolved{UnixAddress{t.path}, Origin::kGiven, described};
          },
          [&](const parser::Vsock& t) -> absl::StatusOr<Resolved> {
            return Resolved{VsockAddress{t.cid, t.port}, Origin::kGiven, described};
          },
          [&](const parser::VsockMux& t) -> absl::StatusOr<Resolved> {
            return Resolved{MuxAddress{t.path, t.port}, Origin::kGiven, described};
          },
          [&](const parser::LocalHost&) -> absl::StatusOr<Resolved> {
            return Resolved{UnixAddress{settings.local_socket}, Origin::kLocalHost,
                            described};
          },
          [&](const parser::Machine& m) { return ResolveMachine(sys, m, settings, timeout); },
          [&](const parser::Qemu& q) { return ResolveQemu(sys, q, settings, timeout); },
      },
      target);
}

}  // namespace sshproxy::lookup
