// Copyright 2026 The ssh-socket-proxy Authors.
//
// What a caller decides on travels beside an absl::Status as fields, never
// as prose to be searched: the errno of the system call that failed, a
// reason code where the code and errno do not say enough, the hint for the
// user, whether waiting (--wait) can help, and how long was waited. The
// fields are Status payloads, so they pass through every layer that returns
// the status as it is; Reworded() keeps them when a layer names the failure
// better. The message stays "what failed: why"; the one line a user sees
// is put together once, at the edge (cli/render.h).
//
//   absl::Status s = SyscallError(ECONNREFUSED, "connect unix:/run/x.sock");
//   ErrnoOf(s) == ECONNREFUSED;  s.message() == "connect unix:/run/x.sock:
//                                                Connection refused"
//   s = WithHint(s, "is the VM running?");
//   HintOf(s) == "is the VM running?";  s.message() is unchanged

#ifndef SSHPROXY_NET_ERROR_H_
#define SSHPROXY_NET_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sshproxy::net {

// What failed, where the status code and the errno do not tell it apart.
enum class Reason {
  kNone,
  kSocketCreate,  // socket() itself failed: about this machine, not the peer
  kPortNotOpen,   // a vsock multiplexer closed without a reply: nothing
                  // listens on that port in the guest
  kBadInput,      // the caller's input (host string, port, option) is wrong
};

// absl::ErrnoToStatus(error, what), with `error` as the errno field.
absl::Status SyscallError(int error, absl::string_view what);

// `status` with its message replaced by `message`; code and fields kept.
absl::Status Reworded(const absl::Status& status, absl::string_view message);

// `status` with its code replaced by `code` (not OK); message and fields
// kept. For a layer whose contract names the code whatever the errno was.
absl::Status Recoded(const absl::Status& status, absl::StatusCode code);

// Each With* returns `status` with the field set (replaced if it was set);
// an OK status stays OK and carries nothing. Each *Of returns the field, or
// 0, Reason::kNone, "" when it is not set.
absl::Status WithErrno(absl::Status status, int error);
int ErrnoOf(const absl::Status& status);

absl::Status WithReason(absl::Status status, Reason reason);
Reason ReasonOf(const absl::Status& status);

// Advice for the user: what to check or do ("is sshd running in the VM?").
absl::Status WithHint(absl::Status status, absl::string_view hint);
std::string HintOf(const absl::Status& status);

// How long --wait waited before giving up: "still, after 3 attempts in 2s
// of --wait".
absl::Status WithWaited(absl::Status status, absl::string_view waited);
std::string WaitedOf(const absl::Status& status);

// Whether retrying can help: the failures of a guest that is still coming
// up. Set explicitly by whoever knows better, else by code: NotFound (the
// socket or the machine is not there yet), Unavailable (refused, reset, a
// multiplexer that closes), DeadlineExceeded (one attempt timed out).
absl::Status WithWaitingHelps(absl::Status status, bool helps);
bool WaitingHelps(const absl::Status& status);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_ERROR_H_
