// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/varlink.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/deadline.h"
#include "net/io.h"

namespace sshproxy::net {

absl::StatusOr<std::string> VarlinkCall(Syscalls& sys, int fd,
                                        absl::string_view request,
                                        absl::Time deadline,
                                        absl::string_view what) {
  std::string message(request);
  message.push_back('\0');
  if (absl::Status s = WriteAll(sys, fd, message); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(what, ": sending the call: ", s.message()));
  }
  std::string reply;
  char buf[16384];
  for (;;) {
    pollfd p = {fd, POLLIN, 0};
    SyscallResult<int> r = sys.Poll(&p, 1, PollTimeoutMs(deadline, sys.Now()));
    if (!r.ok()) {
      if (r.error == EINTR) continue;
      return absl::ErrnoToStatus(r.error, absl::StrCat(what, ": poll"));
    }
    if (r.value == 0) {
      return absl::DeadlineExceededError(absl::StrCat(what, ": no reply in time"));
    }
    SyscallResult<ssize_t> n = sys.Recv(fd, buf, sizeof(buf), 0);
    if (!n.ok()) {
      if (n.error == EINTR || n.error == EAGAIN) continue;
      return absl::ErrnoToStatus(n.error, absl::StrCat(what, ": reading the reply"));
    }
    if (n.value == 0) {
      return absl::DataLossError(absl::StrCat(
          what, reply.empty() ? ": closed without a reply"
                              : ": reply ended without its NUL terminator"));
    }
    const absl::string_view got(buf, static_cast<size_t>(n.value));
    const size_t nul = got.find('\0');
    reply.append(got.data(), std::min(nul, got.size()));
    if (reply.size() > kMaxVarlinkReply) {
      return absl::DataLossError(absl::StrCat(what, ": reply larger than ",
                                              kMaxVarlinkReply, " bytes"));
    }
    if (nul != absl::string_view::npos) return reply;
  }
}

}  // namespace sshproxy::net
