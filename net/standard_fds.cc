// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/standard_fds.h"

#include <errno.h>
#include <fcntl.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/error.h"

namespace sshproxy::net {
namespace {

// Fills descriptor `fd` with /dev/null if it is closed. Returns whether it
// was closed.
absl::StatusOr<bool> FillIfClosed(Syscalls& sys, int fd) {
  SyscallResult<int> r = sys.Fcntl(fd, F_GETFD, 0);
  if (r.ok()) return false;
  if (r.error != EBADF) {
    return SyscallError(r.error, absl::StrCat("fcntl(", fd, ", F_GETFD)"));
  }
  // open() returns the lowest free number: `fd`, as the ones below are open.
  SyscallResult<int> o = sys.Open("/dev/null", O_RDWR);
  if (!o.ok()) {
    return SyscallError(o.error,
                               absl::StrCat("opening /dev/null for closed fd ", fd));
  }
  if (o.value != fd) {
    sys.Close(o.value);
    return absl::InternalError(
        absl::StrCat("/dev/null opened as fd ", o.value, " instead of closed fd ", fd));
  }
  return true;
}

}  // namespace

absl::StatusOr<ClosedStandardFds> FillClosedStandardFds(Syscalls& sys) {
  ClosedStandardFds closed;
  bool* slots[] = {&closed.in, &closed.out, &closed.err};
  for (int fd = 0; fd < 3; ++fd) {
    absl::StatusOr<bool> was_closed = FillIfClosed(sys, fd);
    if (!was_closed.ok()) return was_closed.status();
    *slots[fd] = *was_closed;
  }
  return closed;
}

}  // namespace sshproxy::net
