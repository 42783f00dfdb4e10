// Copyright 2026 The ssh-socket-proxy Authors.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  // F_SETPIPE_SZ, F_GETPIPE_SZ, SPLICE_F_*
#endif

#include "net/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "net/error.h"
#include "net/unique_fd.h"

namespace sshproxy::net {
namespace {

// Bytes one splice or read asks for: more than any pipe we make holds.
constexpr size_t kChunk = 1 << 20;
// Pipe sizes (see GrowIfBulk): what a pipe holds unless told otherwise, what
// a bulk direction grows its pipe to, and the room the user's pipe budget
// must have before it does.
constexpr ssize_t kDefaultPipeBytes = 64 << 10;
constexpr int kGrownBytes = 256 << 10;
constexpr int kProbeBytes = 1 << 20;  // pipe-max-size's default: no privilege needed
// A move smaller than this is taken for interactive traffic (a keystroke,
// an ssh packet): the source is assumed drained and the next call waits for
// poll instead of asking the kernel again only to hear EAGAIN. That saves
// two of the six system calls of a round trip; a source that still holds
// data makes poll return at once, so nothing is ever left waiting.
constexpr ssize_t kSmall = 4096;
// Calls on one direction before looking at the other, so that a bulk
// transfer one way never starves the other.
constexpr int kRoundsPerTurn = 16;
// No SPLICE_F_MORE: on a TCP socket it means MSG_MORE, which holds a partial
// segment back until more data comes or 200 ms pass, and an interactive
// stream pauses after every keystroke. The kernel already sets MSG_MORE
// itself between the pipe buffers of one splice call, so bulk transfers
// lose nothing.
constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

// How a direction moves bytes, best first. Each falls back to the next when
// the kernel refuses splice (EINVAL) before any byte moved.
enum class Path {
  kDirect,  // splice(src -> dst): one end is a pipe (ssh's)
  kPipe,    // splice(src -> our pipe), splice(our pipe -> dst): neither is
  kCopy,    // read/write through a buffer: splice refused (a terminal, say)
};

// One direction: src -> dst.
struct Direction {
  Direction(const char* n, int s, int d) : name(n), src(s), dst(d) {}

  const char* name;  // for messages: "stdin to socket"
  int src;
  int dst;

  Path path = Path::kDirect;
  UniqueFd pipe_r, pipe_w;      // kPipe's pipe
  std::unique_ptr<char[]> buf;  // kCopy's buffer
  size_t buf_off = 0;
  size_t pending = 0;  // bytes taken from src, not yet given to dst
  bool src_eof = false;
  bool done = false;
  uint64_t moved = 0;

  // False while waiting for `wait`: then only poll can make it runnable.
  bool runnable = true;
  pollfd wait = {-1, 0, 0};
  bool src_ready = false;  // poll said src is readable, nothing taken since
  bool likely_empty = false;  // the last take was small (kSmall): src is drained

  int grow_fd = -1;  // the pipe to grow once this direction turns out bulk
  int grown_to = 0;  // its new size, 0 if it was not grown
};

// What a direction does after one system call.
enum class Next { kAgain, kWait, kDone };

// Step's actions on a direction. Each returns what to do next.
Next WaitFor(Direction& d, int fd, short events) {
  d.runnable = false;
  d.wait = {fd, events, 0};
  return Next::kWait;
}

Next Finish(Direction& d) {
  d.pending = 0;
  d.done = true;
  d.runnable = false;
  return Next::kDone;
}

Next Took(Direction& d, ssize_t n) {
  d.src_ready = false;
  d.likely_empty = n < kSmall;
  if (n == 0) d.src_eof = true;
  return Next::kAgain;
}

// Whether to wait for poll before taking from src: after a small take, or
// always for a plain read, which could block on a descriptor we may not
// make non-blocking (it can be shared with our caller).
bool MustWaitForSrc(const Direction& d) {
  return !d.src_ready && (d.likely_empty || d.path == Path::kCopy);
}

Next Gave(Direction& d, ssize_t n) {
  d.pending -= static_cast<size_t>(n);
  d.buf_off = d.pending == 0 ? 0 : d.buf_off + static_cast<size_t>(n);
  d.moved += static_cast<uint64_t>(n);
  return Next::kAgain;
}

absl::Status Failed(const Direction& d, int error, absl::string_view call) {
  return SyscallError(error, absl::StrCat("relay ", d.name, ": ", call));
}

bool IsGone(int error) { return error == EPIPE || error == ECONNRESET; }

bool CannotSplice(const Direction& d, int error) {
  return (error == EINVAL || error == ENOSYS) && d.moved == 0;
}

// The errors every call shares: EINTR retries; a reset or a reader that
// went away ends this direction (which end does not matter: nothing more
// can be delivered); anything else loses data.
absl::StatusOr<Next> Common(Direction& d, int error, absl::string_view call) {
  if (error == EINTR) return Next::kAgain;
  if (IsGone(error)) return Finish(d);
  return Failed(d, error, call);
}

// The user's pipe budget in pages, /proc/sys/fs/pipe-user-pages-soft: once
// a user's pipes hold more, every new pipe of that user, ssh's or any other
// program's, gets 8 KiB instead of 64 (unless the process has
// CAP_SYS_RESOURCE). 0 means no limit; unreadable, the kernel's default.
int64_t PipeBudgetPages(Syscalls& sys) {
  constexpr int64_t kKernelDefault = 16384;
  SyscallResult<int> fd = sys.Open("/proc/sys/fs/pipe-user-pages-soft", O_RDONLY | O_CLOEXEC);
  if (!fd.ok()) return kKernelDefault;
  UniqueFd file(sys, fd.value);
  char text[32];
  SyscallResult<ssize_t> n = sys.Read(file.get(), text, sizeof(text) - 1);
  int64_t pages;
  if (!n.ok() || !absl::SimpleAtoi(absl::string_view(text, static_cast<size_t>(n.value)), &pages) ||
      pages < 0) {
    return kKernelDefault;
  }
  return pages;
}

// Whether a quarter of the user's pipe budget is free. Only the kernel knows
// the user's total, so it is asked: a pipe may grow to kProbeBytes only if
// the user stays under the budget (or is exempt). Enough probe pipes to hold
// a quarter of it are grown, then closed at once; the first refusal ends
// the probe.
bool HasRoom(Syscalls& sys) {
  const int64_t budget = PipeBudgetPages(sys);
  if (budget == 0) return true;
  const int64_t probes = std::clamp<int64_t>(budget / 4 / (kProbeBytes / 4096), 1, 64);
  std::vector<UniqueFd> held;
  for (int64_t i = 0; i < probes; ++i) {
    int fds[2];
    if (!sys.Pipe2(fds, O_CLOEXEC | O_NONBLOCK).ok()) return false;
    held.emplace_back(sys, fds[0]);
    held.emplace_back(sys, fds[1]);
    if (!sys.Fcntl(fds[1], F_SETPIPE_SZ, kProbeBytes).ok()) return false;
  }
  return true;
}

// At 64 KiB a bulk transfer wakes the relay for every 64 KiB and runs at a
// fifth of a direct write (measured); at 256 KiB it gets as far as at 1 MiB.
// Interactive sessions never fill a pipe and keep the default; a direction
// grows its pipe (ssh's, or ours) once, the first time a call moves a full
// default pipe's worth, and only while a quarter of the budget is free: so
// relays alone never use more than three quarters of it, and new pipes of
// the user keep their 64 KiB.
void GrowIfBulk(Syscalls& sys, Direction& d, ssize_t moved) {
  if (d.grow_fd < 0 || moved < kDefaultPipeBytes) return;
  const int fd = std::exchange(d.grow_fd, -1);
  if (moved > kDefaultPipeBytes) return;  // the caller grew it: leave it be
  if (HasRoom(sys) && sys.Fcntl(fd, F_SETPIPE_SZ, kGrownBytes).ok()) d.grown_to = kGrownBytes;
}

// A direction's kernel pipe, created on demand, kPipe only.
absl::Status MakePipe(Syscalls& sys, Direction& d) {
  int fds[2];
  SyscallResult<int> p = sys.Pipe2(fds, O_CLOEXEC | O_NONBLOCK);
  if (!p.ok()) return Failed(d, p.error, "pipe2");
  d.pipe_r = UniqueFd(sys, fds[0]);
  d.pipe_w = UniqueFd(sys, fds[1]);
  d.grow_fd = fds[1];
  return absl::OkStatus();
}

// kPipe -> kCopy, also with bytes already in our pipe (the kernel took them
// from src but will not splice them into dst: an O_APPEND file, say). They
// are read out of the pipe first, so none is lost.
absl::Status ToCopy(Syscalls& sys, Direction& d) {
  d.path = Path::kCopy;
  d.buf = std::make_unique<char[]>(kChunk);
  d.buf_off = 0;
  size_t got = 0;
  while (got < d.pending) {
    SyscallResult<ssize_t> r = sys.Read(d.pipe_r.get(), d.buf.get() + got, d.pending - got);
    if (!r.ok() && r.error == EINTR) continue;
    if (!r.ok()) return Failed(d, r.error, "read back from our pipe");
    if (r.value == 0) return Failed(d, EIO, "read back from our pipe");
    got += static_cast<size_t>(r.value);
  }
  d.pipe_r.reset();
  d.pipe_w.reset();
  d.grow_fd = -1;
  return absl::OkStatus();
}

// Moves on to the next Path after the kernel refused splice.
absl::StatusOr<Next> Degrade(Syscalls& sys, Direction& d) {
  absl::Status s = absl::OkStatus();
  if (d.path == Path::kDirect) {
    d.path = Path::kPipe;
    s = MakePipe(sys, d);
  } else {
    s = ToCopy(sys, d);
  }
  if (!s.ok()) return s;
  return Next::kAgain;
}

// kDirect: one splice moves bytes straight from src to dst. EAGAIN means an
// empty src or a full dst; it guesses empty (the interactive case: no extra
// call), and if poll then finds src readable while splice still moves
// nothing, dst is the one that is full.
absl::StatusOr<Next> SpliceDirect(Syscalls& sys, Direction& d) {
  if (MustWaitForSrc(d)) return WaitFor(d, d.src, POLLIN);
  SyscallResult<ssize_t> r = sys.Splice(d.src, d.dst, kChunk, kSpliceFlags);
  if (r.ok()) {
    d.moved += static_cast<uint64_t>(r.value);
    GrowIfBulk(sys, d, r.value);
    return Took(d, r.value);
  }
  if (r.error == EAGAIN) {
    return d.src_ready ? WaitFor(d, d.dst, POLLOUT) : WaitFor(d, d.src, POLLIN);
  }
  if (CannotSplice(d, r.error)) return Degrade(sys, d);
  return Common(d, r.error, "splice");
}

// kPipe and kCopy, first half: src -> our pipe or buffer (empty by now).
absl::StatusOr<Next> Take(Syscalls& sys, Direction& d) {
  const bool splice = d.path == Path::kPipe;
  if (MustWaitForSrc(d)) return WaitFor(d, d.src, POLLIN);
  SyscallResult<ssize_t> r = splice ? sys.Splice(d.src, d.pipe_w.get(), kChunk, kSpliceFlags)
                                    : sys.Read(d.src, d.buf.get(), kChunk);
  if (r.ok()) {
    d.pending = static_cast<size_t>(r.value);
    if (splice) GrowIfBulk(sys, d, r.value);
    return Took(d, r.value);
  }
  d.src_ready = false;
  if (r.error == EAGAIN) return WaitFor(d, d.src, POLLIN);
  if (splice && CannotSplice(d, r.error)) return Degrade(sys, d);
  if (r.error == ECONNRESET) return Took(d, 0);  // a reset ends the stream like EOF
  return Common(d, r.error, splice ? "splice in" : "read");
}

// kPipe and kCopy, second half: our pipe or buffer -> dst.
absl::StatusOr<Next> Give(Syscalls& sys, Direction& d) {
  const bool splice = d.path == Path::kPipe;
  SyscallResult<ssize_t> w = splice ? sys.Splice(d.pipe_r.get(), d.dst, d.pending, kSpliceFlags)
                                    : sys.Write(d.dst, d.buf.get() + d.buf_off, d.pending);
  if (w.ok()) return Gave(d, w.value);
  if (w.error == EAGAIN) return WaitFor(d, d.dst, POLLOUT);
  if (splice && CannotSplice(d, w.error)) return Degrade(sys, d);
  return Common(d, w.error, splice ? "splice out" : "write");
}

// Moves what it can without blocking, for a while at most.
absl::Status Step(Syscalls& sys, Direction& d) {
  for (int round = 0; round < kRoundsPerTurn && d.runnable; ++round) {
    absl::StatusOr<Next> next = Next::kAgain;
    if (d.pending > 0) {
      next = Give(sys, d);
    } else if (d.src_eof) {
      next = Finish(d);
    } else if (d.path == Path::kDirect) {
      next = SpliceDirect(sys, d);
    } else {
      next = Take(sys, d);
    }
    if (!next.ok()) return next.status();
    if (*next != Next::kAgain) break;
  }
  return absl::OkStatus();
}

// Sleeps until a waiting direction can move again, or with timeout_ms 0
// only looks.
absl::Status Wait(Syscalls& sys, Direction& up, Direction& down, int timeout_ms) {
  pollfd fds[2];
  Direction* owners[2];
  nfds_t n = 0;
  for (Direction* d : {&up, &down}) {
    if (d->done || d->runnable) continue;
    fds[n] = d->wait;
    owners[n++] = d;
  }
  if (n == 0) return absl::OkStatus();
  SyscallResult<int> r = sys.Poll(fds, n, timeout_ms);
  if (!r.ok() && r.error == EINTR) return absl::OkStatus();
  if (!r.ok()) return SyscallError(r.error, "relay: poll");
  for (nfds_t i = 0; i < n; ++i) {
    // POLLHUP/POLLERR too: the next call reports what happened.
    if (fds[i].revents == 0) continue;
    owners[i]->runnable = true;
    if (fds[i].events == POLLIN) owners[i]->src_ready = true;
  }
  return absl::OkStatus();
}

// ssh has nothing more to say: tell the guest, keep listening.
absl::Status HalfClose(Syscalls& sys, int sock) {
  SyscallResult<int> s = sys.Shutdown(sock, SHUT_WR);
  if (s.ok() || s.error == ENOTCONN) return absl::OkStatus();
  return SyscallError(s.error, "relay: shutdown(SHUT_WR) after stdin ended");
}

absl::Status Run(Syscalls& sys, Direction& up, Direction& down, int sock) {
  bool told_guest = false;
  while (!down.done) {
    for (Direction* d : {&up, &down}) {
      if (absl::Status s = Step(sys, *d); !s.ok()) return s;
    }
    if (up.done && !told_guest) {
      told_guest = true;
      if (absl::Status s = HalfClose(sys, sock); !s.ok()) return s;
    }
    if (down.done) break;
    // A direction still runnable after its turn carries bulk: the other is
    // only looked at, so that it is never starved, and nobody sleeps.
    const int timeout_ms = up.runnable || down.runnable ? 0 : -1;
    if (absl::Status s = Wait(sys, up, down, timeout_ms); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status MakeNonBlocking(Syscalls& sys, int sock) {
  SyscallResult<int> flags = sys.Fcntl(sock, F_GETFL, 0);
  if (flags.ok()) flags = sys.Fcntl(sock, F_SETFL, flags.value | O_NONBLOCK);
  if (!flags.ok()) return SyscallError(flags.error, "relay: O_NONBLOCK on the socket");
  return absl::OkStatus();
}

}  // namespace

absl::Status Relay(Syscalls& sys, int in, int out, int sock, RelayStats* stats) {
  if (absl::Status s = MakeNonBlocking(sys, sock); !s.ok()) return s;
  Direction up("stdin to socket", in, sock);
  Direction down("socket to stdout", sock, out);
  // ssh's pipes, if they are pipes (F_SETPIPE_SZ says EBADF otherwise, and
  // a splice refused later hands the growing to our own pipe).
  up.grow_fd = in;
  down.grow_fd = out;
  absl::Status result = Run(sys, up, down, sock);
  if (stats != nullptr) {
    stats->to_socket = up.moved;
    stats->from_socket = down.moved;
    stats->spliced = up.path != Path::kCopy && down.path != Path::kCopy;
    stats->grown_to = std::max(up.grown_to, down.grown_to);
  }
  // The guest is done (or gone): ssh sees EOF on its read end at once,
  // even if something else still holds a copy of our stdout.
  if (result.ok()) sys.Close(out);
  return result;
}

}  // namespace sshproxy::net
