// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/handover.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sshproxy::net {

absl::StatusOr<bool> IsUnixSocket(Syscalls& sys, int fd) {
  struct stat st;
  SyscallResult<int> r = sys.Fstat(fd, &st);
  if (!r.ok()) return absl::ErrnoToStatus(r.error, absl::StrCat("fstat(", fd, ")"));
  if (!S_ISSOCK(st.st_mode)) return false;
  int domain = 0;
  socklen_t len = sizeof(domain);
  r = sys.GetSockOpt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
  if (!r.ok()) {
    return absl::ErrnoToStatus(r.error, absl::StrCat("getsockopt(", fd, ", SO_DOMAIN)"));
  }
  return domain == AF_UNIX;
}

absl::Status SendFd(Syscalls& sys, int channel, int fd) {
  char byte = '\0';
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));

  for (;;) {
    SyscallResult<ssize_t> r = sys.SendMsg(channel, &msg, MSG_NOSIGNAL);
    if (r.ok()) {
      // One byte or nothing: a stream socket sends the byte and the
      // descriptor together.
      if (r.value == 1) return absl::OkStatus();
      return absl::InternalError(
          absl::StrCat("sendmsg on fd ", channel, " sent ", r.value, " of 1 byte"));
    }
    if (r.error == EINTR) continue;
    if (r.error == EAGAIN || r.error == EWOULDBLOCK) {
      pollfd p = {channel, POLLOUT, 0};
      SyscallResult<int> w = sys.Poll(&p, 1, -1);
      if (!w.ok() && w.error != EINTR) {
        return absl::ErrnoToStatus(w.error, absl::StrCat("poll on fd ", channel));
      }
      continue;
    }
    if (r.error == EPIPE || r.error == ECONNRESET) {
      return absl::UnavailableError(
          absl::StrCat("ssh closed its end before taking the connection (sendmsg: ",
                       std::strerror(r.error), ")"));
    }
    return absl::ErrnoToStatus(r.error, absl::StrCat("sendmsg on fd ", channel));
  }
}

}  // namespace sshproxy::net
