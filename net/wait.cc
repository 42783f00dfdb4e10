// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/wait.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "net/io.h"

namespace sshproxy::net {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);

// The error to report when --wait runs out: the last one, unless the last
// attempt only timed out because the wait's end cut it short (its bound was
// less than `attempt_limit`) and an earlier attempt said more ("not known to
// machined", "Connection refused"). Says how long it waited, as a field.
absl::Status GiveUp(const absl::Status& last, const absl::Status& previous,
                    bool last_cut_short, int attempts, absl::Duration waited) {
  const absl::Status& report =
      absl::IsDeadlineExceeded(last) && last_cut_short && !previous.ok() ? previous : last;
  return WithWaited(
      report, absl::StrCat("still, after ", attempts, attempts == 1 ? " attempt" : " attempts",
                           " in ",
                           absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(100))),
                           " of --wait"));
}

}  // namespace

absl::StatusOr<UniqueFd> RetryUntil(
    Syscalls& sys, absl::Duration wait, absl::Duration attempt_limit,
    const std::function<absl::StatusOr<UniqueFd>(absl::Duration)>& attempt,
    const std::function<void(absl::string_view)>& debug) {
  if (wait <= absl::ZeroDuration()) return attempt(attempt_limit);
  const absl::Time start = sys.Now();
  const absl::Time deadline = start + wait;
  absl::Duration backoff = kFirstBackoff;
  absl::Status previous = absl::OkStatus();
  for (int n = 1;; ++n) {
    const absl::Duration left = std::max(deadline - sys.Now(), absl::Milliseconds(1));
    absl::StatusOr<UniqueFd> fd = attempt(std::min(left, attempt_limit));
    if (fd.ok() || !WaitingHelps(fd.status())) return fd;
    const absl::Time now = sys.Now();
    if (now >= deadline) {
      return GiveUp(fd.status(), previous, left < attempt_limit, n, now - start);
    }
    const absl::Duration pause = std::min(backoff, deadline - now);
    if (debug) {
      debug(absl::StrCat("attempt ", n, ": ", fd.status().message(), "; again in ",
                         absl::FormatDuration(pause)));
    }
    previous = fd.status();
    SleepFor(sys, pause);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace sshproxy::net
