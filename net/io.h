// Copyright 2026 The ssh-socket-proxy Authors.
//
// The I/O loops every client in this tree needs, written once: a poll() that
// keeps to a deadline across EINTR, a reader that stops at a terminator, EOF,
// a size cap or a deadline, and a writer that retries short writes. The
// connectors, the vsock-mux handshake, the hand-over, and in lookup/ the
// Varlink client and the qemu/ helper's reader all use these.
//
// Every wait has a deadline but the relay's. Three loops wait otherwise and
// stay so on purpose:
// - the relay (net/relay.cc) polls two descriptors at once and moves bytes
//   both ways; it ends with either end, and has no deadline by design (a
//   session lasts as long as ssh wants).
// - the backlog retry of a bounded AF_UNIX connect (net/connect.cc
//   ConnectUntil): EAGAIN there means the listener's backlog is full and no
//   connect is in progress, so there is nothing for poll() to wait on. It
//   sleeps kBacklogRetry with SleepFor (below) until the connect deadline.
// - reaping the qemu/ helper (lookup/libvirt.cc Reap): it runs after the
//   helper closed its output, so the first waitpid(WNOHANG) almost always
//   finds it exited; a lingering one is looked at every 5 ms with SleepFor
//   and killed at the lookup's deadline. A pidfd (pidfd_open, Linux 5.3)
//   would let PollUntil wait for it, but the proxy must run where that
//   call is missing (ENOSYS: older kernels, seccomp filters in containers),
//   and the fallback would be this same loop: one more system call and a
//   second path, for a wait that is over at once.
// One write is not bounded because it cannot wait: the vsock-mux CONNECT
// line (net/mux.cc), 11-16 bytes on a freshly connected blocking AF_UNIX
// stream socket, whose whole send buffer (at least 4 KiB) is free, so the
// kernel queues them at once even when the multiplexer never reads.
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
