// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/io.h"

#include <errno.h>
#include <poll.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "net/error.h"

namespace sshproxy::net {
namespace {

// poll()'s timeout for `deadline`: -1 for none, else milliseconds rounded up,
// so that a wake-up is never before the deadline.
int PollTimeoutMs(absl::Time deadline, absl::Time now) {
  if (deadline == absl::InfiniteFuture()) return -1;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(deadline - now, absl::Milliseconds(1)));
  return static_cast<int>(std::clamp<int64_t>(ms, 0, int64_t{1} << 30));
}

absl::Status Failed(int error, absl::string_view what, absl::string_view call) {
  return SyscallError(error, what.empty() ? call : absl::StrCat(what, ": ", call));
}

}  // namespace

absl::StatusOr<short> PollUntil(Syscalls& sys, int fd, short events,
                                absl::Time deadline, absl::string_view what) {
  for (;;) {
    pollfd p = {fd, events, 0};
    SyscallResult<int> r = sys.Poll(&p, 1, PollTimeoutMs(deadline, sys.Now()));
    if (r.ok()) return r.value == 0 ? short{0} : (p.revents != 0 ? p.revents : events);
    if (r.error != EINTR) return Failed(r.error, what, "poll");
  }
}

void SleepFor(Syscalls& sys, absl::Duration d) {
  sys.Poll(nullptr, 0, PollTimeoutMs(sys.Now() + d, sys.Now()));
}

absl::StatusOr<BoundedRead> ReadBounded(Syscalls& sys, int fd, absl::Time deadline,
                                        const ReadLimits& limits, absl::string_view what) {
  BoundedRead out;
  char buf[16384];
  for (;;) {
    absl::StatusOr<short> ready = PollUntil(sys, fd, POLLIN, deadline, what);
    if (!ready.ok()) return ready.status();
    if (*ready == 0) {
      out.end = BoundedRead::End::kTimedOut;
      return out;
    }
    SyscallResult<ssize_t> n = sys.Read(fd, buf, sizeof(buf));
    if (!n.ok()) {
      if (n.error == EINTR || n.error == EAGAIN) continue;
      return Failed(n.error, what, limits.read_label);
    }
    if (n.value == 0) {
      out.end = BoundedRead::End::kEof;
      return out;
    }
    const absl::string_view got(buf, static_cast<size_t>(n.value));
    const size_t stop = limits.stop ? got.find(*limits.stop) : absl::string_view::npos;
    out.data.append(got.data(), std::min(stop, got.size()));
    if (out.data.size() > limits.max) {
      out.end = BoundedRead::End::kTooLong;
      return out;
    }
    if (stop != absl::string_view::npos) {
      out.end = BoundedRead::End::kStop;
      return out;
    }
  }
}

absl::Status WriteAll(Syscalls& sys, int fd, absl::string_view data, absl::Time deadline) {
  while (!data.empty()) {
    SyscallResult<ssize_t> w = sys.Write(fd, data.data(), data.size());
    if (w.ok()) {
      data.remove_prefix(static_cast<size_t>(w.value));
      continue;
    }
    if (w.error == EINTR) continue;
    if (w.error != EAGAIN && w.error != EWOULDBLOCK) return Failed(w.error, "", "write");
    absl::StatusOr<short> ready = PollUntil(sys, fd, POLLOUT, deadline, "");
    if (!ready.ok()) return ready.status();
    if (*ready == 0) return absl::DeadlineExceededError("write: timed out");
  }
  return absl::OkStatus();
}

}  // namespace sshproxy::net
