// Copyright 2026 The ssh-socket-proxy Authors.
//
// Every system call ssh-socket-proxy makes, behind one narrow interface, so
// that tests can script the kernel (net/testing/fake_syscalls.h) and nothing in
// a unit test reaches a real socket. Each method is named like the call, takes
// its arguments, and returns the call's value with the errno captured right
// beside the call.
//
// The interface is passed by reference to whatever needs it; there is no
// global instance. These are the transport's calls only: lookup/process.h
// extends the interface with the process calls the qemu/ lookup needs
// (spawn, waitpid, kill, readlink), so that one fake still scripts every
// call of a lookup in order.

#ifndef SSHPROXY_NET_SYSCALLS_H_
#define SSHPROXY_NET_SYSCALLS_H_

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>

#include "absl/time/time.h"

namespace sshproxy::net {

// A system call's return value and, when it failed, its errno (0 otherwise).
template <typename T>
struct SyscallResult {
  T value;
  int error;

  bool ok() const { return error == 0; }
};

class Syscalls {
 public:
  virtual ~Syscalls() = default;

  virtual SyscallResult<int> Socket(int domain, int type, int protocol) = 0;
  virtual SyscallResult<int> Connect(int fd, const sockaddr* addr,
                                     socklen_t len) = 0;
  virtual SyscallResult<int> Open(const char* path, int flags) = 0;
  virtual SyscallResult<int> Close(int fd) = 0;
  virtual SyscallResult<ssize_t> SendMsg(int fd, const msghdr* msg,
                                         int flags) = 0;
  virtual SyscallResult<ssize_t> Recv(int fd, void* buf, size_t len,
                                      int flags) = 0;
  virtual SyscallResult<ssize_t> Read(int fd, void* buf, size_t len) = 0;
  virtual SyscallResult<ssize_t> Write(int fd, const void* buf,
                                       size_t len) = 0;
  virtual SyscallResult<int> Poll(pollfd* fds, nfds_t nfds, int timeout_ms) = 0;
  virtual SyscallResult<int> GetSockOpt(int fd, int level, int name,
                                        void* value, socklen_t* len) = 0;
  virtual SyscallResult<int> SetSockOpt(int fd, int level, int name,
                                        const void* value, socklen_t len) = 0;
  virtual SyscallResult<int> Fstat(int fd, struct stat* st) = 0;
  virtual SyscallResult<int> Fcntl(int fd, int cmd, int arg) = 0;
  virtual SyscallResult<int> Shutdown(int fd, int how) = 0;
  virtual SyscallResult<ssize_t> Splice(int fd_in, int fd_out, size_t len,
                                        unsigned flags) = 0;
  virtual SyscallResult<int> Pipe2(int fds[2], int flags) = 0;

  // clock_gettime(CLOCK_MONOTONIC), as an absl::Time for deadline arithmetic.
  virtual absl::Time Now() = 0;
};

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_SYSCALLS_H_
