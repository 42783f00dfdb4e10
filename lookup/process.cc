// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace sshproxy::lookup {
namespace {

// Pairs a return value with errno, read before anything can change it.
template <typename T>
SyscallResult<T> Result(T value) {
  return {value, value < 0 ? errno : 0};
}

}  // namespace

SyscallResult<ssize_t> PosixProcessSyscalls::ReadLink(const char* path, char* buf,
                                                      size_t len) {
  return Result(::readlink(path, buf, len));
}
// posix_spawn is one call, but its file actions are built up first; it
// returns the error number instead of setting errno.
SyscallResult<pid_t> PosixProcessSyscalls::Spawn(const char* path, char* const argv[],
                                                 int out_fd) {
  posix_spawn_file_actions_t actions;
  if (int e = ::posix_spawn_file_actions_init(&actions); e != 0) return {-1, e};
  int e = ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (e == 0) e = ::posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  if (e == 0) e = ::posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
  pid_t pid = -1;
  if (e == 0) e = ::posix_spawn(&pid, path, &actions, nullptr, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  return {e == 0 ? pid : -1, e};
}
SyscallResult<pid_t> PosixProcessSyscalls::WaitPid(pid_t pid, int* status,
                                                   int options) {
  return Result(::waitpid(pid, status, options));
}
SyscallResult<int> PosixProcessSyscalls::Kill(pid_t pid, int signal) {
  return Result(::kill(pid, signal));
}

}  // namespace sshproxy::lookup
