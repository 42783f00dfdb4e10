// Copyright 2026 The ssh-socket-proxy Authors.
//
// Every system call ssh-socket-proxy makes, behind one narrow interface, so
// that tests can script the kernel (net/testing/fake_syscalls.h) and nothing in
// a unit test reaches a real socket. Each method is named like the call, takes
// its arguments, and returns the call's value with the errno captured right
// beside the call.
//
// The interface is passed by reference to whatever needs it; there is no
// global instance. It is the kernel boundary of the whole proxy, not of the
// transport alone: lookup/ runs the qemu/ helper through Spawn, WaitPid,
// Kill and ReadLink, and those stay here (in //net:syscalls, which net/'s
// transport code never calls them through) so that one FakeSyscalls script
// orders every call a test expects, pipe2 and spawn between poll and read,
// and fails on any other.

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
  virtual SyscallResult<ssize_t> ReadLink(const char* path, char* buf,
                                          size_t len) = 0;
  // posix_spawn(3) of `path` with `argv` (NULL-terminated) and this process's
  // environment; the child's stdin is /dev/null, its stdout and stderr are
  // `out_fd`. Returns the child's pid; an exec failure (ENOENT, EACCES) is
  // the call's error.
  virtual SyscallResult<pid_t> Spawn(const char* path, char* const argv[],
                                     int out_fd) = 0;
  virtual SyscallResult<pid_t> WaitPid(pid_t pid, int* status,
                                       int options) = 0;
  virtual SyscallResult<int> Kill(pid_t pid, int signal) = 0;

  // clock_gettime(CLOCK_MONOTONIC), as an absl::Time for deadline arithmetic.
  virtual absl::Time Now() = 0;
};

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_SYSCALLS_H_
