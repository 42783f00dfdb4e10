// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/error.h"
#include "net/io.h"
#include "net/unique_fd.h"

namespace sshproxy::net {

absl::StatusOr<bool> IsUnixSocket(Syscalls& sys, int fd) {
  struct stat st;
  SyscallResult<int> r = sys.Fstat(fd, &st);
  if (!r.ok()) return SyscallError(r.error, absl::StrCat("fstat(", fd, ")"));
  if (!S_ISSOCK(st.st_mode)) return false;
  int domain = 0;
  socklen_t len = sizeof(domain);
  r = sys.GetSockOpt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
  if (!r.ok()) {
    return SyscallError(r.error, absl::StrCat("getsockopt(", fd, ", SO_DOMAIN)"));
  }
  return domain == AF_UNIX;
}

namespace {

// The name /proc/PID/comm gives ssh (the kernel appends a newline).
constexpr absl::string_view kSshComm = "ssh\n";

// Reads /proc/`pid`/comm: at most 16 bytes (TASK_COMM_LEN) and a newline.
absl::StatusOr<std::string> ReadComm(Syscalls& sys, pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/comm");
  SyscallResult<int> o = sys.Open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (!o.ok()) return SyscallError(o.error, path);
  UniqueFd file(sys, o.value);
  char buf[32];
  for (;;) {
    SyscallResult<ssize_t> n = sys.Read(file.get(), buf, sizeof(buf));
    if (n.ok()) return std::string(buf, static_cast<size_t>(n.value));
    if (n.error != EINTR) return SyscallError(n.error, path);
  }
}

}  // namespace

absl::StatusOr<bool> PeerIsSsh(Syscalls& sys, int fd) {
  ucred cred = {};
  socklen_t len = sizeof(cred);
  SyscallResult<int> r = sys.GetSockOpt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
  if (!r.ok()) {
    return Recoded(SyscallError(r.error, absl::StrCat("getsockopt(", fd, ", SO_PEERCRED)")),
                   absl::StatusCode::kFailedPrecondition);
  }
  if (len != sizeof(cred) || cred.pid <= 0) {
    return absl::FailedPreconditionError("its peer's process is not visible from here");
  }
  absl::StatusOr<std::string> comm = ReadComm(sys, cred.pid);
  if (!comm.ok()) return Recoded(comm.status(), absl::StatusCode::kFailedPrecondition);
  return *comm == kSshComm;
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

  const absl::Time deadline = sys.Now() + kHandOverTimeout;
  for (;;) {
    // MSG_DONTWAIT: ssh's socketpair is blocking, and a blocking sendmsg
    // would wait for room without a bound.
    SyscallResult<ssize_t> r = sys.SendMsg(channel, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r.ok()) {
      // One byte or nothing: a stream socket sends the byte and the
      // descriptor together.
      if (r.value == 1) return absl::OkStatus();
      return absl::InternalError(
          absl::StrCat("sendmsg on fd ", channel, " sent ", r.value, " of 1 byte"));
    }
    if (r.error == EINTR) continue;
    if (r.error == EAGAIN || r.error == EWOULDBLOCK) {
      absl::StatusOr<short> w =
          PollUntil(sys, channel, POLLOUT, deadline, absl::StrCat("fd ", channel));
      if (!w.ok()) return w.status();
      if (*w == 0) {
        return WithWaitingHelps(
            absl::DeadlineExceededError(absl::StrCat(
                "handing the connection over on fd ", channel, ": nothing read it within ",
                absl::FormatDuration(kHandOverTimeout))),
            false);
      }
      continue;
    }
    if (r.error == EPIPE || r.error == ECONNRESET) {
      const absl::Status failed = SyscallError(r.error, "sendmsg");
      return Recoded(Reworded(failed, absl::StrCat("ssh closed its end before taking "
                                                   "the connection (", failed.message(), ")")),
                     absl::StatusCode::kUnavailable);
    }
    return SyscallError(r.error, absl::StrCat("sendmsg on fd ", channel));
  }
}

}  // namespace sshproxy::net
