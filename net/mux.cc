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
#include "net/error.h"
#include "net/io.h"

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
  return WithReason(absl::UnavailableError(absl::StrCat(
                        what, " is not open: the multiplexer closed the connection "
                              "without a reply")),
                    Reason::kPortNotOpen);
}

absl::Status BadReply(absl::string_view what, absl::string_view got,
                      absl::string_view why) {
  return absl::DataLossError(absl::StrCat(what, ": bad multiplexer reply \"",
                                          absl::CEscape(got), "\": ", why));
}

// What the bytes peeked so far are.
struct Verdict {
  enum Kind {
    kMore,      // the start of an OK line: wait for the rest
    kNoOkLine,  // not an OK line: the guest is talking
    kLine,      // a complete, well-formed OK line of `length` bytes
  } kind;
  size_t length = 0;
  uint32_t port = 0;
};

// Judges `got`, the socket's first bytes (at most kMaxMuxReply of them).
// `seen` bytes of it were peeked before; `hung_up`: the multiplexer closed
// its end since.
absl::StatusOr<Verdict> Examine(absl::string_view got, size_t seen,
                                bool hung_up, absl::string_view what) {
  if (got.empty()) {
    // A peek that returns 0 is EOF with nothing queued.
    if (seen == 0) return NotOpen(what);
    return BadReply(what, got, "then the connection closed");
  }
  // Anything that does not start like "OK " is the guest talking: a
  // multiplexer that sends no OK line. Leave it for ssh.
  const size_t head = std::min(got.size(), kOk.size());
  if (got.substr(0, head) != kOk.substr(0, head)) return Verdict{Verdict::kNoOkLine};

  const size_t newline = got.find('\n');
  const size_t end = newline == absl::string_view::npos ? got.size() : newline;
  const absl::string_view digits =
      end <= kOk.size() ? absl::string_view() : got.substr(kOk.size(), end - kOk.size());
  if (digits.find_first_not_of("0123456789") != absl::string_view::npos) {
    return BadReply(what, got, "expected \"OK <port>\\n\"");
  }
  // At most kMaxMuxReply - 3 digits: the sum cannot overflow 64 bits.
  uint64_t port = 0;
  for (char c : digits) port = port * 10 + static_cast<uint64_t>(c - '0');
  const absl::string_view line =
      newline == absl::string_view::npos ? got : got.substr(0, newline + 1);
  // Judged before the cap: a number too big for a port is one, whether or not
  // its newline fit in the bytes we read ("OK 99999999999\n" is 15 bytes).
  if (port > 0xffffffffull) return BadReply(what, line, "port out of range");
  if (newline == absl::string_view::npos) {
    if (got.size() == kMaxMuxReply) return BadReply(what, got, "line too long");
    if (hung_up) return BadReply(what, got, "then the connection closed");
    return Verdict{Verdict::kMore};
  }
  if (digits.empty()) return BadReply(what, line, "no port");
  return Verdict{Verdict::kLine, line.size(), static_cast<uint32_t>(port)};
}

// Pauses while a started OK line is incomplete (see kFirstRepeek), at most
// until `deadline`. Returns true iff the multiplexer hung up meanwhile. A
// failed poll is only a shorter pause: the next peek decides.
bool AwaitMore(Syscalls& sys, int fd, absl::Time deadline, absl::Duration* repeek) {
  absl::StatusOr<short> r =
      PollUntil(sys, fd, POLLRDHUP, std::min(deadline, sys.Now() + *repeek), "");
  *repeek = std::min(*repeek * 2, kMaxRepeek);
  return r.ok() && (*r & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

// Reads the `length` bytes of a peeked OK line off the socket.
absl::Status ConsumeLine(Syscalls& sys, int fd, size_t length, absl::string_view what) {
  char buf[kMaxMuxReply];
  for (;;) {
    SyscallResult<ssize_t> r = sys.Recv(fd, buf, length, 0);
    if (!r.ok() && r.error == EINTR) continue;
    if (!r.ok()) {
      return SyscallError(r.error,
                                 absl::StrCat(what, ": reading the multiplexer's reply"));
    }
    // The bytes were in the socket a moment ago; only we read from it.
    if (static_cast<size_t>(r.value) != length) {
      return absl::InternalError(absl::StrCat(what, ": read ", r.value, " of ", length,
                                              " peeked bytes"));
    }
    return absl::OkStatus();
  }
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
    if (seen == 0) {
      absl::StatusOr<short> ready = PollUntil(sys, fd, POLLIN, deadline, what);
      if (!ready.ok()) return ready.status();
      if (*ready == 0) return MuxReply{MuxReply::Kind::kSilent, 0};
    } else {
      if (sys.Now() >= deadline) {
        return BadReply(what, absl::string_view(buf, seen),
                        absl::StrCat("nothing more within ", absl::FormatDuration(timeout)));
      }
      hung_up = AwaitMore(sys, fd, deadline, &repeek);
    }
    SyscallResult<ssize_t> n = sys.Recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
    if (!n.ok()) {
      if (n.error == EINTR || n.error == EAGAIN) continue;
      if (n.error == ECONNRESET && seen == 0) return NotOpen(what);
      return SyscallError(n.error,
                                 absl::StrCat(what, ": reading the multiplexer's reply"));
    }
    const absl::string_view got(buf, static_cast<size_t>(n.value));
    absl::StatusOr<Verdict> verdict = Examine(got, seen, hung_up, what);
    if (!verdict.ok()) return verdict.status();
    switch (verdict->kind) {
      case Verdict::kMore:
        if (got.size() > seen) repeek = kFirstRepeek;
        seen = got.size();
        continue;
      case Verdict::kNoOkLine:
        return MuxReply{MuxReply::Kind::kNoOkLine, 0};
      case Verdict::kLine:
        if (absl::Status s = ConsumeLine(sys, fd, verdict->length, what); !s.ok()) return s;
        return MuxReply{MuxReply::Kind::kOk, verdict->port};
    }
  }
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
  // injected into the CONNECT line. The write cannot wait (net/io.h).
  if (absl::Status s = WriteAll(sys, fd->get(), absl::StrCat("CONNECT ", port, "\n"));
      !s.ok()) {
    return Reworded(s, absl::StrCat(what, ": sending CONNECT: ", s.message()));
  }
  absl::StatusOr<MuxReply> r = ReadMuxReply(sys, fd->get(), reply_timeout, what);
  if (!r.ok()) return r.status();
  if (reply != nullptr) *reply = *r;
  return fd;
}

}  // namespace sshproxy::net
