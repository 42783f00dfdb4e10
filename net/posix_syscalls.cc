// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/posix_syscalls.h"

// splice(2) and pipe2(2) are GNU extensions.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace sshproxy::net {
namespace {

// Pairs a return value with errno, read before anything can change it.
template <typename T>
SyscallResult<T> Result(T value) {
  return {value, value < 0 ? errno : 0};
}

}  // namespace

SyscallResult<int> PosixSyscalls::Socket(int domain, int type, int protocol) {
  return Result(::socket(domain, type, protocol));
}
SyscallResult<int> PosixSyscalls::Connect(int fd, const sockaddr* addr,
                                          socklen_t len) {
  return Result(::connect(fd, addr, len));
}
SyscallResult<int> PosixSyscalls::Open(const char* path, int flags) {
  return Result(::open(path, flags));
}
SyscallResult<int> PosixSyscalls::Close(int fd) { return Result(::close(fd)); }
SyscallResult<ssize_t> PosixSyscalls::SendMsg(int fd, const msghdr* msg,
                                              int flags) {
  return Result(::sendmsg(fd, msg, flags));
}
SyscallResult<ssize_t> PosixSyscalls::Recv(int fd, void* buf, size_t len,
                                           int flags) {
  return Result(::recv(fd, buf, len, flags));
}
SyscallResult<ssize_t> PosixSyscalls::Read(int fd, void* buf, size_t len) {
  return Result(::read(fd, buf, len));
}
SyscallResult<ssize_t> PosixSyscalls::Write(int fd, const void* buf,
                                            size_t len) {
  return Result(::write(fd, buf, len));
}
SyscallResult<int> PosixSyscalls::Poll(pollfd* fds, nfds_t nfds,
                                       int timeout_ms) {
  return Result(::poll(fds, nfds, timeout_ms));
}
SyscallResult<int> PosixSyscalls::GetSockOpt(int fd, int level, int name,
                                             void* value, socklen_t* len) {
  return Result(::getsockopt(fd, level, name, value, len));
}
SyscallResult<int> PosixSyscalls::SetSockOpt(int fd, int level, int name,
                                             const void* value, socklen_t len) {
  return Result(::setsockopt(fd, level, name, value, len));
}
SyscallResult<int> PosixSyscalls::Fstat(int fd, struct stat* st) {
  return Result(::fstat(fd, st));
}
SyscallResult<int> PosixSyscalls::Fcntl(int fd, int cmd, int arg) {
  return Result(::fcntl(fd, cmd, arg));
}
SyscallResult<int> PosixSyscalls::Shutdown(int fd, int how) {
  return Result(::shutdown(fd, how));
}
SyscallResult<ssize_t> PosixSyscalls::Splice(int fd_in, int fd_out, size_t len,
                                             unsigned flags) {
  return Result(::splice(fd_in, nullptr, fd_out, nullptr, len, flags));
}
SyscallResult<int> PosixSyscalls::Pipe2(int fds[2], int flags) {
  return Result(::pipe2(fds, flags));
}
absl::Time PosixSyscalls::Now() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::TimeFromTimespec(ts);
}

}  // namespace sshproxy::net
