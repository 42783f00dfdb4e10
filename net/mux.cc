// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/mux.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "net/deadline.h"

namespace sshproxy::net {
namespace {

constexpr absl::string_view kOk = "OK ";

// While a started OK line is incomplete, the socket is readable all the time
// (the peeked bytes stay in it), so waiting for POLLIN returns at once: wait
// for POLLRDHUP instead (the multiplexer hung up; a peek cannot show EOF
// while bytes are queued), and re-peek after a short, growing pause. Real
// multiplexers write the line at once, so this loop almost never runs.
constexpr absl::Duration kFirstRepeek = absl::Milliseconds(1);
constexpr absl::Duration kMaxRepeek = absl::Milliseconds(50);

absl::Status NotOpen(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(
      what, " is not open: the multiplexer closed the connection without a reply"));
}

absl::Status BadReply(absl::string_view what, absl::string_view got,
                      absl::string_view why) {
  return absl::DataLossError(absl::StrCat(what, ": bad multiplexer reply \"",
                                          absl::CEscape(got), "\": ", why));
}

}  // namespace

absl::StatusOr<MuxReply> ReadMuxReply(Syscalls& sys, int fd,
                                      absl::Duration timeout,
                                      absl::string_view what) {
  const absl::Time deadline = sys.Now() + timeout;
  char buf[kMaxMuxReply];
  size_t seen = 0;  // bytes of a started OK line peeked so far
  absl::Duration repeek = kFirstRepeek;
  bool hung_up = false;

  for (;;) {
    const absl::Time now = sys.Now();
    if (seen == 0) {
      pollfd p = {fd, POLLIN, 0};
      SyscallResult<int> r = sys.Poll(&p, 1, PollTimeoutMs(deadline, now));
      if (!r.ok()) {
        if (r.error == EINTR) continue;
        return absl::ErrnoToStatus(r.error, absl::StrCat(what, ": poll"));
      }
      if (r.value == 0) return MuxReply{MuxReply::Kind::kSilent, 0};
    } else {
      if (now >= deadline) {
        return BadReply(what, absl::string_view(buf, seen),
                        absl::StrCat("nothing more within ",
                                     absl::FormatDuration(timeout)));
      }
      pollfd p = {fd, POLLRDHUP, 0};
      SyscallResult<int> r =
          sys.Poll(&p, 1, PollTimeoutMs(std::min(deadline, now + repeek), now));
      hung_up = r.ok() && r.value > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
      repeek = std::min(repeek * 2, kMaxRepeek);
    }

    SyscallResult<ssize_t> n = sys.Recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
    if (!n.ok()) {
      if (n.error == EINTR || n.error == EAGAIN) continue;
      if (n.error == ECONNRESET && seen == 0) return NotOpen(what);
      return absl::ErrnoToStatus(
          n.error, absl::StrCat(what, ": reading the multiplexer's reply"));
    }
    const size_t len = static_cast<size_t>(n.value);
    const absl::string_view got(buf, len);
    if (len == 0) {
      if (seen == 0) return NotOpen(what);
      return BadReply(what, got.substr(0, seen), "then the connection closed");
    }

    // Anything that does not start like "OK " is the guest talking: a
    // multiplexer that sends no OK line. Leave it for ssh.
    const size_t head = std::min(len, kOk.size());
    if (got.substr(0, head) != kOk.substr(0, head)) {
      return MuxReply{MuxReply::Kind::kNoOkLine, 0};
    }

    const size_t newline = got.find('\n');
    const absl::string_view digits =
        len <= kOk.size()
            ? absl::string_view()
            : got.substr(kOk.size(),
                         (newline == absl::string_view::npos ? len : newline) -
                             kOk.size());
    if (digits.find_first_not_of("0123456789") != absl::string_view::npos) {
      return BadReply(what, got, "expected \"OK <port>\\n\"");
    }
    if (newline == absl::string_view::npos) {
      if (len == sizeof(buf)) return BadReply(what, got, "line too long");
      if (hung_up) return BadReply(what, got, "then the connection closed");
      if (len > seen) repeek = kFirstRepeek;
      seen = len;
      continue;
    }
    if (digits.empty()) return BadReply(what, got.substr(0, newline + 1), "no port");
    uint64_t port = 0;
    for (char c : digits) port = port * 10 + static_cast<uint64_t>(c - '0');
    if (port > 0xffffffffull) {
      return BadReply(what, got.substr(0, newline + 1), "port out of range");
    }

    // A complete, well-formed OK line: consume exactly it.
    const size_t line = newline + 1;
    for (;;) {
      SyscallResult<ssize_t> r = sys.Recv(fd, buf, line, 0);
      if (!r.ok() && r.error == EINTR) continue;
      if (!r.ok()) {
        return absl::ErrnoToStatus(
            r.error, absl::StrCat(what, ": reading the multiplexer's reply"));
      }
      // The bytes were in the socket a moment ago; only we read from it.
      if (static_cast<size_t>(r.value) != line) {
        return absl::InternalError(absl::StrCat(what, ": read ", r.value, " of ",
                                                line, " peeked bytes"));
      }
      break;
    }
    return MuxReply{MuxReply::Kind::kOk, static_cast<uint32_t>(port)};
  }
}

absl::Status WriteAll(Syscalls& sys, int fd, absl::string_view data) {
  while (!data.empty()) {
    SyscallResult<ssize_t> w = sys.Write(fd, data.data(), data.size());
    if (w.ok()) {
      data.remove_prefix(static_cast<size_t>(w.value));
      continue;
    }
    if (w.error == EINTR) continue;
    if (w.error == EAGAIN) {
      pollfd p = {fd, POLLOUT, 0};
      SyscallResult<int> r = sys.Poll(&p, 1, -1);
      if (!r.ok() && r.error != EINTR) return absl::ErrnoToStatus(r.error, "poll");
      continue;
    }
    return absl::ErrnoToStatus(w.error, "write");
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ConnectVsockMux(Syscalls& sys, absl::string_view path,
                                         uint32_t port,
                                         const ConnectOptions& options,
                                         absl::Duration reply_timeout,
                                         MuxReply* reply) {
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, path, options);
  if (!fd.ok()) return fd.status();
  const std::string what =
      absl::StrCat("port ", port, " on ", absl::CHexEscape(path));
  // The parsed number, never text from the command line: nothing can be
  // injected into the CONNECT line.
  if (absl::Status s = WriteAll(sys, fd->get(), absl::StrCat("CONNECT ", port, "\n"));
      !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(what, ": sending CONNECT: ", s.message()));
  }
  absl::StatusOr<MuxReply> r = ReadMuxReply(sys, fd->get(), reply_timeout, what);
  if (!r.ok()) return r.status();
  if (reply != nullptr) *reply = *r;
  return fd;
}

}  // namespace sshproxy::net
