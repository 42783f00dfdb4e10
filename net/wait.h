// Copyright 2026 The ssh-socket-proxy Authors.
//
// --wait: right after a VM or container starts, its socket or its sshd is not
// there yet. Instead of a retry loop around ssh, retry the connect.

#ifndef SSHPROXY_NET_WAIT_H_
#define SSHPROXY_NET_WAIT_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/error.h"
#include "net/syscalls.h"
#include "net/unique_fd.h"

namespace sshproxy::net {

// Calls `attempt` until it succeeds, fails with an error that waiting cannot
// help (net::WaitingHelps), or `wait` has passed; sleeps between attempts
// with a backoff from 100 ms doubling to 1 s. `attempt` gets the time left
// (never more than `attempt_limit`), to bound its connect with. With `wait`
// zero, makes one attempt, bounded by `attempt_limit`. The last error is
// returned with its waited field set ("still, after 3 attempts in 5s of
// --wait", net/error.h); when the last attempt only timed out because the
// wait ran out during it, the error before it (which says more: "Connection
// refused", "not known to systemd-machined") is returned instead. `debug`,
// if set, hears about each failed attempt.
absl::StatusOr<UniqueFd> RetryUntil(
    Syscalls& sys, absl::Duration wait, absl::Duration attempt_limit,
    const std::function<absl::StatusOr<UniqueFd>(absl::Duration)>& attempt,
    const std::function<void(absl::string_view)>& debug = nullptr);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_WAIT_H_
