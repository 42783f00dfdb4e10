// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/run.h"

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/mode.h"
#include "cli/render.h"
#include "lookup/resolve.h"
#include "net/connect.h"
#include "net/error.h"
#include "net/handover.h"
#include "net/mux.h"
#include "net/relay.h"
#include "net/unique_fd.h"
#include "net/wait.h"
#include "parser/target.h"

namespace sshproxy::cli {
namespace {

// The environment variable the libvirt URI comes from, for its error.
constexpr absl::string_view kLibvirtUriVariable = "SSH_SOCKET_PROXY_LIBVIRT_URI";

lookup::Settings SettingsOf(const Options& options) {
  return {options.local_socket, options.user_runtime_dir, options.system_runtime_dir,
          options.libvirt_uri};
}

// What the multiplexer's reply was, for --verbose.
std::string MuxReplyLine(const net::MuxReply& reply, const Options& options) {
  switch (reply.kind) {
    case net::MuxReply::Kind::kOk:
      return absl::StrCat("multiplexer answered OK ", reply.host_port);
    case net::MuxReply::Kind::kNoOkLine:
      return "multiplexer sent no OK line; the guest spoke first";
    case net::MuxReply::Kind::kSilent:
      break;
  }
  return absl::StrCat("no reply within ", absl::FormatDuration(options.mux_timeout),
                      "; taking it for a multiplexer without OK lines");
}

// One connection attempt to `address`, bounded by `timeout`.
absl::StatusOr<net::UniqueFd> ConnectOnce(net::Syscalls& sys, const lookup::Address& address,
                                          const Options& options, absl::Duration timeout,
                                          const Io& io) {
  const net::ConnectOptions connect{timeout};
  if (const auto* u = std::get_if<lookup::UnixAddress>(&address)) {
    return net::ConnectUnix(sys, u->path, connect);
  }
  if (const auto* v = std::get_if<lookup::VsockAddress>(&address)) {
    return net::ConnectVsock(sys, v->cid, v->port, connect);
  }
  if (const auto* t = std::get_if<lookup::TcpAddress>(&address)) {
    return net::ConnectTcp(sys, t->host, t->port, connect);
  }
  const auto& m = std::get<lookup::MuxAddress>(address);
  net::MuxReply reply;
  absl::StatusOr<net::UniqueFd> fd =
      net::ConnectVsockMux(sys, m.path, m.port, connect, options.mux_timeout, &reply);
  if (fd.ok() && io.debug) io.debug(MuxReplyLine(reply, options));
  return fd;
}

struct Connection {
  net::UniqueFd fd;
  std::string description;  // what it is connected to
  bool tcp = false;         // a VM reached over TCP (machined's sshAddress)
};

// Resolves and connects, both inside --wait: a machine that registers late
// is retried like a socket that appears late.
absl::StatusOr<Connection> Reach(lookup::ProcessSyscalls& sys, const parser::Target& target,
                                 const Options& options, const Io& io) {
  const lookup::Settings settings = SettingsOf(options);
  std::optional<lookup::Resolved> resolved;  // by the latest attempt that resolved
  absl::StatusOr<net::UniqueFd> fd = net::RetryUntil(
      sys, options.wait, options.connect_timeout,
      [&](absl::Duration timeout) -> absl::StatusOr<net::UniqueFd> {
        absl::StatusOr<lookup::Resolved> now = lookup::Resolve(sys, target, settings, timeout);
        if (!now.ok()) return now.status();
        const bool looked_up = now->origin == lookup::Origin::kMachine ||
                               now->origin == lookup::Origin::kNspawn ||
                               now->origin == lookup::Origin::kLibvirt;
        if (io.debug && looked_up && (!resolved || resolved->description != now->description)) {
          io.debug(now->description);
        }
        resolved = *std::move(now);
        return ConnectOnce(sys, resolved->address, options, timeout, io);
      },
      io.debug);
  if (!fd.ok()) {
    if (!resolved) return fd.status();  // machined's or libvirt's answer says it all
    return net::WithHint(fd.status(), ConnectHint(fd.status(), *resolved, options));
  }
  if (io.debug) {
    io.debug(absl::StrCat("connected to ", resolved->description, " as fd ", fd->get()));
  }
  return Connection{*std::move(fd), resolved->description,
                    std::holds_alternative<lookup::TcpAddress>(resolved->address)};
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

// Connects to `target` and hands the connection over or relays it.
absl::Status Connect(lookup::ProcessSyscalls& sys, const parser::Target& target,
                     const Options& options, const Io& io) {
  if (absl::Status s = CheckStandardFds(io, /*fdpass=*/true); !s.ok()) return s;
  absl::StatusOr<bool> fdpass = DecideFdpass(sys, options, io);
  if (!fdpass.ok()) return fdpass.status();
  if (absl::Status s = CheckStandardFds(io, *fdpass); !s.ok()) return s;
  if (io.debug) io.debug(*fdpass ? "mode fdpass" : "mode relay");

  absl::StatusOr<Connection> connection = Reach(sys, target, options, io);
  if (!connection.ok()) return connection.status();
  if (!*fdpass) return RelayConnection(sys, *connection, io);
  const int fd = connection->fd.get();
  if (absl::Status s = net::SendFd(sys, io.out, fd); !s.ok()) return s;
  if (io.debug) io.debug(absl::StrCat("handed fd ", fd, " over on fd ", io.out));
  return absl::OkStatus();
}

}  // namespace

absl::Status Run(lookup::ProcessSyscalls& sys, const Options& options, const Io& io) {
  absl::StatusOr<parser::Target> target = parser::ParseTarget(options.host, options.port);
  if (!target.ok()) return AsUsageError(target.status());
  const lookup::Settings settings = SettingsOf(options);
  if (io.debug) {
    io.debug(absl::StrCat("host ", parser::FormatTarget(*target), " is ",
                          lookup::Describe(*target, settings)));
  }
  if (std::holds_alternative<parser::Qemu>(*target)) {
    // Before anything is asked: another host's libvirt answers with CIDs
    // that the proxy would dial on this one.
    absl::Status local = lookup::CheckLibvirtUri(options.libvirt_uri, kLibvirtUriVariable);
    if (!local.ok()) return local;
  }
  if (options.action == Options::Action::kDryRun) {
    absl::StatusOr<lookup::Resolved> resolved =
        lookup::Resolve(sys, *target, settings, options.connect_timeout);
    if (!resolved.ok()) return resolved.status();
    io.print(resolved->description);
    return absl::OkStatus();
  }
  return Connect(sys, *target, options, io);
}

}  // namespace sshproxy::cli
