// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/render.h"

#include <errno.h>

#include <string>
#include <utility>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "net/error.h"

namespace sshproxy::cli {
namespace {

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
std::string UnavailableHint(const absl::Status& s, const lookup::Resolved& to,
                            const Options& options) {
  if (const auto* v = std::get_if<lookup::VsockAddress>(&to.address)) {
    return absl::StrCat("is sshd listening on vsock port ", v->port,
                        " in the guest (systemd-ssh-generator does this), and is "
                        "the CID right?");
  }
  if (const auto* m = std::get_if<lookup::MuxAddress>(&to.address);
      m != nullptr && net::ReasonOf(s) == net::Reason::kPortNotOpen) {
    return absl::StrCat("is sshd listening on vsock port ", m->port,
                        " in the guest, and has it finished booting (",
                        options.wait > absl::ZeroDuration() ? "a longer --wait" : "--wait",
                        ")?");
  }
  if (const auto* t = std::get_if<lookup::TcpAddress>(&to.address)) {
    return absl::StrCat("is sshd running in the VM and listening on ",
                        absl::CHexEscape(t->host), " port ", t->port, "?");
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

// For a socket that is not there.
std::string MissingHint(const lookup::Resolved& to) {
  switch (to.origin) {
    case lookup::Origin::kNspawn:
      return "the container exports its sshd there only when sshd and "
             "systemd-ssh-generator (systemd 256+) are enabled in it";
    case lookup::Origin::kLocalHost:
      return "is the local sshd listening there? systemd-ssh-generator "
             "(systemd 256+) creates that socket; --local-socket names another";
    default:
      return "is the VM or container running, and is its sshd socket-activated "
             "(e.g. by systemd-ssh-generator)?";
  }
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

std::string ConnectHint(const absl::Status& s, const lookup::Resolved& to,
                        const Options& options) {
  if (std::holds_alternative<lookup::VsockAddress>(to.address)) {
    if (std::string hint = VsockHint(s); !hint.empty()) return hint;
  }
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return MissingHint(to);
    case absl::StatusCode::kPermissionDenied:
      return "the socket's owner, group and mode decide who may connect, and each "
             "directory above it must let this user search it (namei -l PATH shows "
             "which refuses): run as a user who may, or ask for group access";
    case absl::StatusCode::kFailedPrecondition:
      return "is the path right? it must name the socket file itself";
    case absl::StatusCode::kUnavailable:
      return UnavailableHint(s, to, options);
    case absl::StatusCode::kDeadlineExceeded:
      return TimeoutHint(options);
    case absl::StatusCode::kDataLoss:
      return "is this a Firecracker or cloud-hypervisor vsock socket?";
    default:
      return "";
  }
}

}  // namespace sshproxy::cli
