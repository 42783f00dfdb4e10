// Copyright 2026 The ssh-socket-proxy Authors.
//
// The system calls lookup/ makes beyond the transport's: the qemu/ lookup
// runs a helper (lookup/libvirt.h), so it needs posix_spawn, waitpid, kill
// and readlink of /proc/self/exe. They extend net::Syscalls rather than
// sit beside it, so that one fake (lookup/testing/fake_process.h) scripts
// every call of a lookup in one order, pipe2 and spawn between poll and
// read, and fails on any other; net/ itself never sees them.
//
//   PosixProcessSyscalls sys;           // cli/main.cc
//   Resolve(sys, target, settings, timeout);  // spawns through sys
//   ConnectUnix(sys, path, options);    // the same object, as net::Syscalls

#ifndef SSHPROXY_LOOKUP_PROCESS_H_
#define SSHPROXY_LOOKUP_PROCESS_H_

#include <sys/types.h>

#include <cstddef>

#include "net/posix_syscalls.h"
#include "net/syscalls.h"

namespace sshproxy::lookup {

using net::SyscallResult;

// Virtual base: an implementation also derives from an implementation of
// net::Syscalls (net::PosixSyscalls, net::FakeSyscalls), and the two share
// one Syscalls.
class ProcessSyscalls : public virtual net::Syscalls {
 public:
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
};

// The kernel: net::PosixSyscalls and the four calls above, each exactly
// its system call.
class PosixProcessSyscalls final : public net::PosixSyscalls,
                                   public ProcessSyscalls {
 public:
  SyscallResult<ssize_t> ReadLink(const char* path, char* buf,
                                  size_t len) override;
  SyscallResult<pid_t> Spawn(const char* path, char* const argv[],
                             int out_fd) override;
  SyscallResult<pid_t> WaitPid(pid_t pid, int* status, int options) override;
  SyscallResult<int> Kill(pid_t pid, int signal) override;
};

}  // namespace sshproxy::lookup

#endif  // SSHPROXY_LOOKUP_PROCESS_H_
