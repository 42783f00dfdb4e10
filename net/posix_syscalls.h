// Copyright 2026 The ssh-socket-proxy Authors.

#ifndef SSHPROXY_NET_POSIX_SYSCALLS_H_
#define SSHPROXY_NET_POSIX_SYSCALLS_H_

#include "net/syscalls.h"

namespace sshproxy::net {

// The kernel. Each method makes exactly its system call and nothing else.
// Not final: lookup::PosixProcessSyscalls adds the process calls (Syscalls
// is a virtual base, so the two share it).
class PosixSyscalls : public virtual Syscalls {
 public:
  SyscallResult<int> Socket(int domain, int type, int protocol) override;
  SyscallResult<int> Connect(int fd, const sockaddr* addr,
                             socklen_t len) override;
  SyscallResult<int> Open(const char* path, int flags) override;
  SyscallResult<int> Close(int fd) override;
  SyscallResult<ssize_t> SendMsg(int fd, const msghdr* msg, int flags) override;
  SyscallResult<ssize_t> Recv(int fd, void* buf, size_t len,
                              int flags) override;
  SyscallResult<ssize_t> Read(int fd, void* buf, size_t len) override;
  SyscallResult<ssize_t> Write(int fd, const void* buf, size_t len) override;
  SyscallResult<int> Poll(pollfd* fds, nfds_t nfds, int timeout_ms) override;
  SyscallResult<int> GetSockOpt(int fd, int level, int name, void* value,
                                socklen_t* len) override;
  SyscallResult<int> SetSockOpt(int fd, int level, int name, const void* value,
                                socklen_t len) override;
  SyscallResult<int> Fstat(int fd, struct stat* st) override;
  SyscallResult<int> Fcntl(int fd, int cmd, int arg) override;
  SyscallResult<int> Shutdown(int fd, int how) override;
  SyscallResult<ssize_t> Splice(int fd_in, int fd_out, size_t len,
                                unsigned flags) override;
  SyscallResult<int> Pipe2(int fds[2], int flags) override;
  absl::Time Now() override;
};

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_POSIX_SYSCALLS_H_
