// Copyright 2026 The ssh-socket-proxy Authors.
//
// Deadline arithmetic shared by the connectors, the multiplexer reader and
// --wait. Internal to //net.

#ifndef SSHPROXY_NET_DEADLINE_H_
#define SSHPROXY_NET_DEADLINE_H_

#include <algorithm>
#include <cstdint>

#include "absl/time/time.h"
#include "net/syscalls.h"

namespace sshproxy::net {

// poll()'s timeout for `deadline`: -1 for none, else milliseconds rounded up,
// so that a wake-up is never before the deadline.
inline int PollTimeoutMs(absl::Time deadline, absl::Time now) {
  if (deadline == absl::InfiniteFuture()) return -1;
  int64_t ms = absl::ToInt64Milliseconds(
      absl::Ceil(deadline - now, absl::Milliseconds(1)));
  return static_cast<int>(std::clamp<int64_t>(ms, 0, int64_t{1} << 30));
}

// Sleeps for `d` with poll() on no descriptors: a system call like any other,
// so the fake clock of a test moves with it.
inline void SleepFor(Syscalls& sys, absl::Duration d) {
  sys.Poll(nullptr, 0,
           static_cast<int>(std::clamp<int64_t>(
               absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))),
               0, int64_t{1} << 30)));
}

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_DEADLINE_H_
