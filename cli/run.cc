// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/run.h"

#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/connect.h"
#include "net/handover.h"
#include "net/mux.h"
#include "net/relay.h"
#include "net/wait.h"
#include "net/unique_fd.h"
#include "parser/target.h"

namespace sshproxy::cli {
namespace {

constexpr absl::string_view kUsagePayload = "type.ssh-socket-proxy/usage";

absl::Status WithHint(const absl::Status& status, absl::string_view hint) {
  if (hint.empty()) return status;
  return absl::Status(status.code(), absl::StrCat(status.message(), "; ", hint));
}

// The advice for the failures people hit, by what was being reached.
std::string ConnectHint(const absl::Status& s, const parser::Target& target) {
  const bool is_vsock = std::holds_alternative<parser::Vsock>(target);
  const bool is_local = std::holds_alternative<parser::LocalHost>(target);
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      if (is_local) {
        return "is the local sshd listening there? systemd-ssh-generator "
               "(systemd 256+) creates that socket; --local-socket names another";
      }
      return "is the VM or container running, and is its sshd socket-activated "
             "(e.g. by systemd-ssh-generator)?";
    case absl::StatusCode::kPermissionDenied:
      return "the socket's owner, group and mode decide who may connect: run as "
             "a user who may, or ask for group access";
    case absl::StatusCode::kUnavailable:
      if (is_vsock) {
        return absl::StrCat("is sshd listening on vsock port ",
                            std::get<parser::Vsock>(target).port,
                            " in the guest (systemd-ssh-generator does this), and "
                            "is the CID right?");
      }
      if (const auto* m = std::get_if<parser::VsockMux>(&target);
          m != nullptr && absl::StrContains(s.message(), "is not open")) {
        return absl::StrCat("is sshd listening on vsock port ", m->port,
                            " in the guest, and has it finished booting (--wait)?");
      }
      return "the socket file exists but nothing accepts on it (a stale socket "
             "of a stopped VM or container?)";
    case absl::StatusCode::kDeadlineExceeded:
      return "the guest may still be booting (--wait retries)";
    case absl::StatusCode::kDataLoss:
      return "is this a Firecracker or cloud-hypervisor vsock socket?";
    default:
      break;
  }
  if (is_vsock && (absl::StrContains(s.message(), "Address family not supported") ||
                   absl::StrContains(s.message(), "No such device"))) {
    return "this kernel has no AF_VSOCK transport (load vhost_vsock on a host, "
           "vmw_vsock_virtio_transport in a guest)";
  }
  return "";
}

// One connection attempt, bounded by `timeout`.
absl::StatusOr<net::UniqueFd> ConnectOnce(net::Syscalls& sys,
                                          const parser::Target& target,
                                          const Options& options,
                                          absl::Duration timeout, const Io& io) {
  const net::ConnectOptions connect{timeout};
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
  if (std::holds_alternative<parser::LocalHost>(target)) {
    return net::ConnectUnix(sys, options.local_socket, connect);
  }
  return absl::UnimplementedError(
      absl::StrCat(parser::FormatTarget(target),
                   ": this form is not supported by this version yet"));
}

std::string Describe(const parser::Target& target, const Options& options) {
  if (std::holds_alternative<parser::LocalHost>(target)) {
    return absl::StrCat("local host ", net::UnixAddressName(options.local_socket).substr(5));
  }
  return parser::DescribeTarget(target);
}

}  // namespace

absl::Status AsUsageError(absl::Status status) {
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

int ExitCode(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (status.GetPayload(kUsagePayload).has_value()) return kExitUsage;
  return kExitFailure;
}

std::string ErrorLine(const absl::Status& status) {
  return absl::StrCat("ssh-socket-proxy: ", status.message());
}

absl::Status Run(net::Syscalls& sys, const Options& options, const Io& io) {
  absl::StatusOr<parser::Target> target =
      parser::ParseTarget(options.host, options.port);
  if (!target.ok()) return AsUsageError(target.status());
  const std::string description = Describe(*target, options);
  if (io.debug) io.debug(absl::StrCat("host ", parser::FormatTarget(*target), " is ", description));

  if (options.action == Options::Action::kDryRun) {
    io.print(description);
    return absl::OkStatus();
  }

  // Decide how to reach ssh before connecting: a connection that cannot be
  // handed over would wake the guest's sshd for nothing.
  bool fdpass = options.mode == Options::Mode::kFdpass;
  if (options.mode != Options::Mode::kRelay) {
    absl::StatusOr<bool> is_socket = net::IsUnixSocket(sys, io.out);
    if (!is_socket.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("stdout: ", is_socket.status().message()));
    }
    if (options.mode == Options::Mode::kFdpass && !*is_socket) {
      return absl::FailedPreconditionError(
          "stdout is not a socket, so the connection cannot be handed over: run "
          "this from ssh with 'ProxyUseFdpass yes', or use --mode=relay");
    }
    fdpass = *is_socket;
  }
  if (io.debug) io.debug(fdpass ? "mode fdpass" : "mode relay");

  absl::StatusOr<net::UniqueFd> fd = net::RetryUntil(
      sys, options.wait, options.connect_timeout,
      [&](absl::Duration timeout) {
        return ConnectOnce(sys, *target, options, timeout, io);
      },
      io.debug);
  if (!fd.ok()) return WithHint(fd.status(), ConnectHint(fd.status(), *target));
  if (io.debug) io.debug(absl::StrCat("connected to ", description, " as fd ", fd->get()));

  if (fdpass) {
    if (absl::Status s = net::SendFd(sys, io.out, fd->get()); !s.ok()) return s;
    if (io.debug) io.debug(absl::StrCat("handed fd ", fd->get(), " over on fd ", io.out));
    return absl::OkStatus();
  }
  net::RelayStats stats;
  absl::Status s = net::Relay(sys, io.in, io.out, fd->get(), &stats);
  if (io.debug) {
    io.debug(absl::StrCat("relayed ", stats.to_socket, " bytes to and ",
                          stats.from_socket, " bytes from ", description,
                          stats.spliced ? " with splice" : " with read/write"));
  }
  return s;
}

}  // namespace sshproxy::cli
