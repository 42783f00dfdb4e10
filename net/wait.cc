// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/wait.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "net/deadline.h"

namespace sshproxy::net {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);

}  // namespace

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<UniqueFd> RetryUntil(
    Syscalls& sys, absl::Duration wait, absl::Duration attempt_limit,
    const std::function<absl::StatusOr<UniqueFd>(absl::Duration)>& attempt,
    const std::function<void(absl::string_view)>& debug) {
  const absl::Time start = sys.Now();
  const absl::Time deadline = start + wait;
  absl::Duration backoff = kFirstBackoff;
  for (int n = 1;; ++n) {
    const absl::Duration left = wait > absl::ZeroDuration()
                                    ? std::max(deadline - sys.Now(), absl::Milliseconds(1))
                                    : absl::InfiniteDuration();
    absl::StatusOr<UniqueFd> fd = attempt(std::min(left, attempt_limit));
    if (fd.ok() || !IsRetryable(fd.status())) return fd;
    const absl::Time now = sys.Now();
    if (wait <= absl::ZeroDuration()) return fd;
    if (now >= deadline) {
      return absl::Status(
          fd.status().code(),
          absl::StrCat(fd.status().message(), " (still, after ", n,
                       n == 1 ? " attempt" : " attempts", " in ",
                       absl::FormatDuration(absl::Trunc(now - start, absl::Milliseconds(100))),
                       " of --wait)"));
    }
    const absl::Duration pause = std::min(backoff, deadline - now);
    if (debug) {
      debug(absl::StrCat("attempt ", n, ": ", fd.status().message(), "; again in ",
                         absl::FormatDuration(pause)));
    }
    SleepFor(sys, pause);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace sshproxy::net
