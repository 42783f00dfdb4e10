// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/testing/fake_process.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace sshproxy::lookup {

SyscallResult<ssize_t> FakeProcessSyscalls::ReadLink(const char* path, char* buf,
                                                     size_t len) {
  Step s = Next("readlink", -1, absl::StrCat("readlink(", path, ")"));
  const std::string& data = DataOf(s);
  size_t n = std::min(len, data.size());
  std::memcpy(buf, data.data(), n);
  return {static_cast<ssize_t>(ValueOr(s, static_cast<int64_t>(n))), ErrorOf(s)};
}

SyscallResult<pid_t> FakeProcessSyscalls::Spawn(const char* path, char* const argv[],
                                                int out_fd) {
  std::vector<absl::string_view> args;
  for (char* const* a = argv + 1; *a != nullptr; ++a) args.emplace_back(*a);
  Step s = Next("spawn", out_fd,
                absl::StrCat("spawn(", path, args.empty() ? "" : " ",
                             absl::StrJoin(args, " "), ", out ", out_fd, ")"));
  return {static_cast<pid_t>(ValueOr(s, 100)), ErrorOf(s)};
}

SyscallResult<pid_t> FakeProcessSyscalls::WaitPid(pid_t pid, int* status, int options) {
  Step s = Next("waitpid", -1,
                absl::StrCat("waitpid(", pid, (options & WNOHANG) ? ", WNOHANG" : "", ")"));
  const std::string& given = DataOf(s);
  *status = 0;  // exited with 0
  if (given.size() == sizeof(int)) std::memcpy(status, given.data(), sizeof(int));
  return {static_cast<pid_t>(ValueOr(s, pid)), ErrorOf(s)};
}

SyscallResult<int> FakeProcessSyscalls::Kill(pid_t pid, int signal) {
  Step s = Next("kill", -1,
                absl::StrCat("kill(", pid, ", ",
                             signal == SIGKILL ? "SIGKILL" : absl::StrCat(signal), ")"));
  return {static_cast<int>(ValueOr(s, 0)), ErrorOf(s)};
}

}  // namespace sshproxy::lookup
