// Copyright 2026 The ssh-socket-proxy Authors.
//
// The I/O loops every client in this tree needs, written once: a poll() that
// keeps to a deadline across EINTR, a reader that stops at a terminator, EOF,
// a size cap or a deadline, and a writer that retries short writes. The
// connectors, the vsock-mux handshake, the hand-over, and in lookup/ the
// Varlink client and the qemu/ helper's reader all use these (the relay keeps
// its own loop: it moves bytes both ways at once).
//
//   absl::StatusOr<short> ready = PollUntil(sys, fd, POLLIN, deadline, "m");
//   if (ready.ok() && *ready == 0) ...  // the deadline passed
//
//   absl::StatusOr<BoundedRead> r = ReadBounded(
//       sys, fd, deadline, {1 << 20, '\0', "reading the reply"}, "varlink ...");
//
// Errors from a failing system call are its errno's code with the errno as a
// field (net/error.h), named "<what>: poll: <strerror>" and so on.

#ifndef SSHPROXY_NET_IO_H_
#define SSHPROXY_NET_IO_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/syscalls.h"

namespace sshproxy::net {

// Waits until `fd` reports one of `events` (or an error or hang-up), or
// `deadline` passes (InfiniteFuture: no bound). Returns the revents, never 0
// unless the deadline passed. An interrupted poll (EINTR) waits again for
// what is left; any other failure is "<what>: poll: <strerror>".
absl::StatusOr<short> PollUntil(Syscalls& sys, int fd, short events,
                                absl::Time deadline, absl::string_view what);

// What ReadBounded is to read.
struct ReadLimits {
  size_t max = 0;                  // more than this many bytes: kTooLong
  std::optional<char> stop;        // a terminator; none: read to EOF
  absl::string_view read_label = "read";  // names the read in errno messages
};

// How a bounded read ended, and what it read: without the terminator and
// whatever followed it in the same read.
struct BoundedRead {
  enum class End { kStop, kEof, kTooLong, kTimedOut };
  End end = End::kEof;
  std::string data;
};

// Reads from `fd` until `limits.stop`, EOF, more than `limits.max` bytes, or
// `deadline`, whichever comes first, and says which. Retries EINTR and
// EAGAIN. Fails only when poll or read fails otherwise: "<what>: poll: ..."
// or "<what>: <read_label>: ...".
absl::StatusOr<BoundedRead> ReadBounded(Syscalls& sys, int fd,
                                        absl::Time deadline,
                                        const ReadLimits& limits,
                                        absl::string_view what);

// Sleeps for `d` with poll() on no descriptors: a system call like any other,
// so the fake clock of a test moves with it.
void SleepFor(Syscalls& sys, absl::Duration d);

// Writes all of `data` to `fd`. Returns OK iff every byte was written by
// `deadline`: retries short writes and EINTR, waits with PollUntil on EAGAIN
// (a non-blocking descriptor). Fails with the errno of the first write or
// poll that fails otherwise, e.g. "write: Broken pipe" (SIGPIPE must be
// ignored), or DeadlineExceededError "write: timed out".
absl::Status WriteAll(Syscalls& sys, int fd, absl::string_view data,
                      absl::Time deadline = absl::InfiniteFuture());

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_IO_H_
