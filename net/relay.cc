// Copyright 2026 The ssh-socket-proxy Authors.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  // F_SETPIPE_SZ, SPLICE_F_*
#endif

#include "net/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "net/unique_fd.h"

namespace sshproxy::net {
namespace {

// Bytes one splice or read asks for; also the kernel pipe's size (1 MiB is
// the default /proc/sys/fs/pipe-max-size, so no privilege is needed).
constexpr size_t kChunk = 1 << 20;
// Rounds of work on one direction before looking at the other, so that a
// bulk transfer one way never starves the other.
constexpr int kRoundsPerTurn = 16;
constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE;

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
  UniqueFd pipe_r, pipe_w;  // kPipe's pipe
  std::unique_ptr<char[]> buf;  // the read/write fallback
  size_t buf_off = 0;
  size_t pending = 0;  // bytes taken from src, not yet given to dst
  bool src_eof = false;
  bool done = false;
  uint64_t moved = 0;

  // What to poll for when stuck: src readable, or dst writable.
  short want_events = 0;
  int want_fd = -1;
  bool src_ready = false;  // poll said src is readable (read/write mode)
};

bool IsGone(int error) { return error == EPIPE || error == ECONNRESET; }

absl::Status Failed(const Direction& d, int error, absl::string_view call) {
  return absl::ErrnoToStatus(error, absl::StrCat("relay ", d.name, ": ", call));
}

absl::Status MakePipe(Syscalls& sys, Direction& d);

// Moves on to the next Path after the kernel refused splice.
absl::Status Degrade(Syscalls& sys, Direction& d) {
  if (d.path == Path::kDirect) {
    d.path = Path::kPipe;
    return MakePipe(sys, d);
  }
  d.path = Path::kCopy;
  d.pipe_r.reset();
  d.pipe_w.reset();
  d.buf = std::make_unique<char[]>(kChunk);
  return absl::OkStatus();
}

// kDirect: splice(src -> dst) moves bytes in one call, so there is nothing
// pending; but EAGAIN can mean an empty src or a full dst. A zero-timeout
// poll of src tells which one to wait for.
absl::StatusOr<bool> StepDirect(Syscalls& sys, Direction& d) {
  bool progress = false;
  for (int round = 0; round < kRoundsPerTurn && !d.done; ++round) {
    if (d.src_eof) {
      d.done = true;
      return true;
    }
    SyscallResult<ssize_t> r = sys.Splice(d.src, d.dst, kChunk, kSpliceFlags);
    if (r.ok()) {
      if (r.value == 0) d.src_eof = true;
      d.moved += static_cast<uint64_t>(r.value);
      progress = true;
      continue;
    }
    if (r.error == EINTR) continue;
    if (r.error == EAGAIN) {
      pollfd p = {d.src, POLLIN, 0};
      SyscallResult<int> q = sys.Poll(&p, 1, 0);
      const bool src_ready = q.ok() && q.value > 0;
      d.want_fd = src_ready ? d.dst : d.src;
      d.want_events = src_ready ? POLLOUT : POLLIN;
      return progress;
    }
    if (IsGone(r.error)) {
      // The socket was reset or the reader went away; which end does not
      // matter, this direction is over.
      d.done = true;
      return true;
    }
    if ((r.error == EINVAL || r.error == ENOSYS) && d.moved == 0) {
      if (absl::Status s = Degrade(sys, d); !s.ok()) return s;
      return true;
    }
    return Failed(d, r.error, "splice");
  }
  return progress;
}

// Moves what it can without blocking. Returns true if anything happened.
absl::StatusOr<bool> Step(Syscalls& sys, Direction& d) {
  d.want_fd = -1;
  if (d.path == Path::kDirect) return StepDirect(sys, d);
  bool progress = false;
  const bool splice = d.path == Path::kPipe;
  for (int round = 0; round < kRoundsPerTurn && !d.done; ++round) {
    if (d.pending > 0) {
      SyscallResult<ssize_t> w =
          splice ? sys.Splice(d.pipe_r.get(), d.dst, d.pending, kSpliceFlags)
                 : sys.Write(d.dst, d.buf.get() + d.buf_off, d.pending);
      if (w.ok()) {
        d.pending -= static_cast<size_t>(w.value);
        d.buf_off = d.pending == 0 ? 0 : d.buf_off + static_cast<size_t>(w.value);
        d.moved += static_cast<uint64_t>(w.value);
        progress = true;
        continue;
      }
      if (w.error == EINTR) continue;
      if (w.error == EAGAIN) {
        d.want_fd = d.dst;
        d.want_events = POLLOUT;
        return progress;
      }
      if (IsGone(w.error)) {
        // The reader went away: nothing we hold can be delivered any more.
        d.pending = 0;
        d.src_eof = true;
        d.done = true;
        return true;
      }
      return Failed(d, w.error, splice ? "splice out" : "write");
    }
    if (d.src_eof) {
      d.done = true;
      return true;
    }
    if (!splice && !d.src_ready) {
      // A plain read could block on a descriptor we may not make
      // non-blocking (it can be shared with our caller): wait for poll.
      d.want_fd = d.src;
      d.want_events = POLLIN;
      return progress;
    }
    SyscallResult<ssize_t> r =
        splice ? sys.Splice(d.src, d.pipe_w.get(), kChunk, kSpliceFlags)
               : sys.Read(d.src, d.buf.get(), kChunk);
    d.src_ready = false;
    if (r.ok()) {
      if (r.value == 0) {
        d.src_eof = true;
      } else {
        d.pending = static_cast<size_t>(r.value);
      }
      progress = true;
      continue;
    }
    if (r.error == EINTR) continue;
    if (r.error == EAGAIN) {
      d.want_fd = d.src;
      d.want_events = POLLIN;
      return progress;
    }
    if (splice && (r.error == EINVAL || r.error == ENOSYS) && d.moved == 0) {
      // This kernel or descriptor does not splice (a terminal, /dev/null on
      // old kernels...): copy through a buffer instead.
      if (absl::Status s = Degrade(sys, d); !s.ok()) return s;
      return true;
    }
    if (r.error == ECONNRESET) {
      d.src_eof = true;  // a reset ends the stream like EOF does
      continue;
    }
    return Failed(d, r.error, splice ? "splice in" : "read");
  }
  return progress;
}

absl::Status MakePipe(Syscalls& sys, Direction& d) {
  int fds[2];
  SyscallResult<int> p = sys.Pipe2(fds, O_CLOEXEC | O_NONBLOCK);
  if (!p.ok()) return Failed(d, p.error, "pipe2");
  d.pipe_r = UniqueFd(sys, fds[0]);
  d.pipe_w = UniqueFd(sys, fds[1]);
  // A larger pipe means fewer system calls per byte; the default (64 KiB)
  // still works if the kernel says no.
  sys.Fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(kChunk));
  return absl::OkStatus();
}

}  // namespace

absl::Status Relay(Syscalls& sys, int in, int out, int sock, RelayStats* stats) {
  SyscallResult<int> flags = sys.Fcntl(sock, F_GETFL, 0);
  if (flags.ok()) flags = sys.Fcntl(sock, F_SETFL, flags.value | O_NONBLOCK);
  if (!flags.ok()) return absl::ErrnoToStatus(flags.error, "relay: O_NONBLOCK on the socket");

  // ssh's pipes are 64 KiB: at that size a relay spends its time switching
  // between processes. The size belongs to the pipe, which we share with
  // the caller; a larger one costs kernel memory only while it is full.
  // Anything that is not a pipe says EBADF or EINVAL, which is fine.
  sys.Fcntl(in, F_SETPIPE_SZ, static_cast<int>(kChunk));
  sys.Fcntl(out, F_SETPIPE_SZ, static_cast<int>(kChunk));

  std::array<Direction, 2> dirs = {
      Direction("stdin to socket", in, sock),
      Direction("socket to stdout", sock, out),
  };
  Direction& up = dirs[0];
  Direction& down = dirs[1];
  bool up_finished = false;

  absl::Status result = absl::OkStatus();
  while (!down.done) {
    bool progress = false;
    for (Direction& d : dirs) {
      if (d.done) continue;
      absl::StatusOr<bool> p = Step(sys, d);
      if (!p.ok()) {
        result = p.status();
        break;
      }
      progress |= *p;
    }
    if (!result.ok()) break;
    if (up.done && !up_finished) {
      // ssh has nothing more to say: tell the guest, keep listening.
      up_finished = true;
      SyscallResult<int> s = sys.Shutdown(sock, SHUT_WR);
      if (!s.ok() && s.error != ENOTCONN) {
        result = absl::ErrnoToStatus(s.error, "relay: shutdown(SHUT_WR)");
        break;
      }
    }
    if (progress || down.done) continue;

    pollfd fds[2];
    nfds_t n = 0;
    Direction* owners[2];
    for (Direction& d : dirs) {
      if (!d.done && d.want_fd >= 0) {
        fds[n] = {d.want_fd, d.want_events, 0};
        owners[n++] = &d;
      }
    }
    if (n == 0) continue;
    SyscallResult<int> r = sys.Poll(fds, n, -1);
    if (!r.ok()) {
      if (r.error == EINTR) continue;
      result = absl::ErrnoToStatus(r.error, "relay: poll");
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      // POLLHUP/POLLERR: the next read or write reports what happened.
      if (fds[i].revents != 0 && fds[i].events == POLLIN) owners[i]->src_ready = true;
    }
  }

  if (stats != nullptr) {
    stats->to_socket = up.moved;
    stats->from_socket = down.moved;
    stats->spliced = up.path != Path::kCopy && down.path != Path::kCopy;
  }
  // The guest is done (or gone): ssh sees EOF on its read end at once,
  // even if something else still holds a copy of our stdout.
  if (result.ok()) sys.Close(out);
  return result;
}

}  // namespace sshproxy::net
