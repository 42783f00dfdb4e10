// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/testing/fake_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace sshproxy::net {
namespace {

std::string Bytes(const void* buf, size_t len) {
  return absl::StrCat(
      "\"", absl::CEscape(absl::string_view(static_cast<const char*>(buf), len)),
      "\"");
}

std::string Domain(int domain) {
  switch (domain) {
    case AF_UNIX: return "AF_UNIX";
    case AF_VSOCK: return "AF_VSOCK";
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
  }
  return absl::StrCat(domain);
}

std::string Address(const sockaddr* addr, socklen_t len) {
  if (addr->sa_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(addr);
    size_t n = len - offsetof(sockaddr_un, sun_path);
    return absl::StrCat("unix:", absl::string_view(un->sun_path,
                                                   strnlen(un->sun_path, n)));
  }
  if (addr->sa_family == AF_VSOCK) {
    const auto* vm = reinterpret_cast<const sockaddr_vm*>(addr);
    return absl::StrCat("vsock:", vm->svm_cid, ":", vm->svm_port);
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return absl::StrCat("inet6:[", text, "%", in6->sin6_scope_id, "]:",
                        ntohs(in6->sin6_port));
  }
  return Domain(addr->sa_family);
}

}  // namespace

FakeSyscalls::Step& FakeSyscalls::Step::PeerPid(int pid) {
  ucred cred = {};
  cred.pid = pid;
  data_.assign(reinterpret_cast<const char*>(&cred), sizeof(cred));
  return *this;
}

FakeSyscalls::~FakeSyscalls() {
  if (!steps_.empty()) {
    Die(absl::StrCat(steps_.size(), " scripted call(s) never made, first: ",
                     steps_.front().call_));
  }
  if (!open_fds_.empty()) {
    Die(absl::StrCat("descriptors never closed: ",
                     absl::StrJoin(open_fds_, ", ")));
  }
}

void FakeSyscalls::Die(absl::string_view why) const {
  std::fprintf(stderr, "FakeSyscalls: %.*s\ncalls so far:\n",
               static_cast<int>(why.size()), why.data());
  for (const std::string& line : log_) std::fprintf(stderr, "  %s\n", line.c_str());
  std::abort();
}

FakeSyscalls::Step& FakeSyscalls::Expect(absl::string_view call) {
  steps_.emplace_back();
  steps_.back().call_ = std::string(call);
  return steps_.back();
}

FakeSyscalls::Step FakeSyscalls::Next(absl::string_view call, int fd,
                                      std::string rendered) {
  log_.push_back(std::move(rendered));
  if (steps_.empty()) Die(absl::StrCat("unscripted call ", log_.back()));
  Step step = std::move(steps_.front());
  steps_.pop_front();
  if (step.call_ != call) {
    Die(absl::StrCat("expected ", step.call_, ", got ", log_.back()));
  }
  if (step.fd_ >= 0 && step.fd_ != fd) {
    Die(absl::StrCat("expected ", call, " on fd ", step.fd_, ", got ",
                     log_.back()));
  }
  now_ += step.elapse_;
  return step;
}

SyscallResult<int> FakeSyscalls::Socket(int domain, int type, int protocol) {
  std::string flags;
  if (type & SOCK_CLOEXEC) flags += "|SOCK_CLOEXEC";
  if (type & SOCK_NONBLOCK) flags += "|SOCK_NONBLOCK";
  int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
  Step s = Next("socket", -1,
                absl::StrCat("socket(", Domain(domain), ", ",
                             base == SOCK_STREAM ? "SOCK_STREAM" : absl::StrCat(base),
                             flags, ", ", protocol, ")"));
  int fd = static_cast<int>(s.value_.value_or(3));
  if (fd >= 0) open_fds_.insert(fd);
  return {fd, s.error_};
}

SyscallResult<int> FakeSyscalls::Connect(int fd, const sockaddr* addr,
                                         socklen_t len) {
  Step s = Next("connect", fd,
                absl::StrCat("connect(", fd, ", ", Address(addr, len), ")"));
  return {static_cast<int>(s.value_.value_or(0)), s.error_};
}

SyscallResult<int> FakeSyscalls::Open(const char* path, int flags) {
  std::string f;
  if ((flags & O_ACCMODE) == O_RDWR) f += "|O_RDWR";
  if (flags & O_PATH) f += "|O_PATH";
  if (flags & O_CLOEXEC) f += "|O_CLOEXEC";
  Step s = Next("open", -1, absl::StrCat("open(", path, ", ", f.empty() ? "0" : f.substr(1), ")"));
  int fd = static_cast<int>(s.value_.value_or(4));
  if (fd >= 0) open_fds_.insert(fd);
  return {fd, s.error_};
}

SyscallResult<int> FakeSyscalls::Close(int fd) {
  Step s = Next("close", fd, absl::StrCat("close(", fd, ")"));
  if (open_fds_.erase(fd) == 0) Die(absl::StrCat("close of fd ", fd, " not open"));
  return {static_cast<int>(s.value_.value_or(0)), s.error_};
}

SyscallResult<ssize_t> FakeSyscalls::SendMsg(int fd, const msghdr* msg,
                                             int flags) {
  std::string data;
  for (size_t i = 0; i < msg->msg_iovlen; ++i) {
    data.append(static_cast<const char*>(msg->msg_iov[i].iov_base),
                msg->msg_iov[i].iov_len);
  }
  std::string rights;
  for (const cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(msg), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < n; ++i) {
        int passed;
        std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        absl::StrAppend(&rights, ", fd ", passed);
      }
    }
  }
  Step s = Next("sendmsg", fd,
                absl::StrCat("sendmsg(", fd, ", ", Bytes(data.data(), data.size()),
                             rights,
                             (flags & MSG_NOSIGNAL) ? ", MSG_NOSIGNAL" : "",
                             (flags & MSG_DONTWAIT) ? ", MSG_DONTWAIT" : "", ")"));
  return {static_cast<ssize_t>(s.value_.value_or(static_cast<int64_t>(data.size()))),
          s.error_};
}

SyscallResult<ssize_t> FakeSyscalls::Recv(int fd, void* buf, size_t len,
                                          int flags) {
  Step s = Next("recv", fd,
                absl::StrCat("recv(", fd, ", ", len,
                             (flags & MSG_PEEK) ? ", MSG_PEEK" : "",
                             (flags & MSG_DONTWAIT) ? ", MSG_DONTWAIT" : "", ")"));
  size_t n = std::min(len, s.data_.size());
  std::memcpy(buf, s.data_.data(), n);
  return {static_cast<ssize_t>(s.value_.value_or(static_cast<int64_t>(n))), s.error_};
}

SyscallResult<ssize_t> FakeSyscalls::Read(int fd, void* buf, size_t len) {
  Step s = Next("read", fd, absl::StrCat("read(", fd, ", ", len, ")"));
  size_t n = std::min(len, s.data_.size());
  std::memcpy(buf, s.data_.data(), n);
  return {static_cast<ssize_t>(s.value_.value_or(static_cast<int64_t>(n))), s.error_};
}

SyscallResult<ssize_t> FakeSyscalls::Write(int fd, const void* buf,
                                           size_t len) {
  Step s = Next("write", fd, absl::StrCat("write(", fd, ", ", Bytes(buf, len), ")"));
  return {static_cast<ssize_t>(s.value_.value_or(static_cast<int64_t>(len))), s.error_};
}

SyscallResult<int> FakeSyscalls::Poll(pollfd* fds, nfds_t nfds,
                                      int timeout_ms) {
  std::vector<std::string> polled;
  for (nfds_t i = 0; i < nfds; ++i) {
    polled.push_back(absl::StrCat(fds[i].fd, (fds[i].events & POLLIN) ? " in" : "",
                                  (fds[i].events & POLLOUT) ? " out" : ""));
  }
  Step s = Next("poll", nfds > 0 ? fds[0].fd : -1,
                absl::StrCat("poll([", absl::StrJoin(polled, ", "), "], ",
                             timeout_ms, ")"));
  int ready = 0;
  for (nfds_t i = 0; i < nfds; ++i) {
    fds[i].revents = s.revents_;
    if (s.revents_ != 0) ++ready;
  }
  return {static_cast<int>(s.value_.value_or(ready)), s.error_};
}

SyscallResult<int> FakeSyscalls::GetSockOpt(int fd, int level, int name,
                                            void* value, socklen_t* len) {
  Step s = Next("getsockopt", fd,
                absl::StrCat("getsockopt(", fd, ", ", level == SOL_SOCKET ? "SOL_SOCKET" : absl::StrCat(level), ", ",
                             name == SO_ERROR ? "SO_ERROR"
                             : name == SO_DOMAIN ? "SO_DOMAIN"
                             : name == SO_PEERCRED ? "SO_PEERCRED"
                                                   : absl::StrCat(name),
                             ")"));
  size_t n = std::min<size_t>(*len, s.data_.size());
  std::memcpy(value, s.data_.data(), n);
  *len = static_cast<socklen_t>(n);
  return {static_cast<int>(s.value_.value_or(0)), s.error_};
}

SyscallResult<int> FakeSyscalls::SetSockOpt(int fd, int level, int name,
                                            const void* value, socklen_t len) {
  int v = 0;
  std::memcpy(&v, value, std::min<size_t>(len, sizeof(v)));
  std::string shown = absl::StrCat(v);
  // A timeval shows as the duration it means.
  if (level == AF_VSOCK && name == SO_VM_SOCKETS_CONNECT_TIMEOUT && len == sizeof(timeval)) {
    timeval tv;
    std::memcpy(&tv, value, sizeof(tv));
    shown = absl::FormatDuration(absl::DurationFromTimeval(tv));
  }
  Step s = Next("setsockopt", fd,
                absl::StrCat("setsockopt(", fd, ", ",
                             level == IPPROTO_TCP ? "IPPROTO_TCP"
                             : level == AF_VSOCK  ? "AF_VSOCK"
                                                  : absl::StrCat(level),
                             ", ",
                             name == TCP_NODELAY && level == IPPROTO_TCP ? "TCP_NODELAY"
                             : level == AF_VSOCK && name == SO_VM_SOCKETS_CONNECT_TIMEOUT
                                 ? "SO_VM_SOCKETS_CONNECT_TIMEOUT"
                                 : absl::StrCat(name),
                             ", ", shown, ")"));
  return {static_cast<int>(s.value_.value_or(0)), s.error_};
}

SyscallResult<int> FakeSyscalls::Fstat(int fd, struct stat* st) {
  Step s = Next("fstat", fd, absl::StrCat("fstat(", fd, ")"));
  std::memset(st, 0, sizeof(*st));
  st->st_mode = s.mode_;
  return {static_cast<int>(s.value_.value_or(0)), s.error_};
}

SyscallResult<int> FakeSyscalls::Fcntl(int fd, int cmd, int arg) {
  Step s = Next("fcntl", fd,
                absl::StrCat("fcntl(", fd, ", ",
                             cmd == F_GETFL ? "F_GETFL"
                             : cmd == F_SETFL ? "F_SETFL"
                             : cmd == F_GETFD ? "F_GETFD"
                                              : absl::StrCat(cmd),
                             ", ", arg, ")"));
  return {static_cast<int>(s.value_.value_or(0)), s.error_};
}

SyscallResult<int> FakeSyscalls::Shutdown(int fd, int how) {
  Step s = Next("shutdown", fd,
                absl::StrCat("shutdown(", fd, ", ",
                             how == SHUT_WR ? "SHUT_WR"
                             : how == SHUT_RD ? "SHUT_RD"
                                              : "SHUT_RDWR",
                             ")"));
  return {static_cast<int>(s.value_.value_or(0)), s.error_};
}

SyscallResult<ssize_t> FakeSyscalls::Splice(int fd_in, int fd_out, size_t len,
                                            unsigned /*flags*/) {
  Step s = Next("splice", fd_in,
                absl::StrCat("splice(", fd_in, " -> ", fd_out, ", ", len, ")"));
  return {static_cast<ssize_t>(s.value_.value_or(static_cast<int64_t>(len))),
          s.error_};
}

SyscallResult<int> FakeSyscalls::Pipe2(int fds[2], int /*flags*/) {
  Step s = Next("pipe2", -1, "pipe2()");
  if (s.error_ != 0) return {-1, s.error_};
  fds[0] = static_cast<int>(s.value_.value_or(5));
  fds[1] = fds[0] + 1;
  open_fds_.insert(fds[0]);
  open_fds_.insert(fds[1]);
  log_.back() = absl::StrCat("pipe2() = [", fds[0], ", ", fds[1], "]");
  return {0, 0};
}

}  // namespace sshproxy::net
