// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/io.h"

#include <errno.h>
#include <poll.h>

namespace sshproxy::net {

absl::Status WriteAll(Syscalls& sys, int fd, absl::string_view data) {
  while (!data.empty()) {
    SyscallResult<ssize_t> w = sys.Write(fd, data.data(), data.size());
    if (w.ok()) {
      data.remove_prefix(static_cast<size_t>(w.value));
      continue;
    }
    if (w.error == EINTR) continue;
    if (w.error == EAGAIN || w.error == EWOULDBLOCK) {
      pollfd p = {fd, POLLOUT, 0};
      SyscallResult<int> r = sys.Poll(&p, 1, -1);
      if (!r.ok() && r.error != EINTR) return absl::ErrnoToStatus(r.error, "poll");
      continue;
    }
    return absl::ErrnoToStatus(w.error, "write");
  }
  return absl::OkStatus();
}

}  // namespace sshproxy::net
