// Copyright 2026 The ssh-socket-proxy Authors.
//
// net::FakeSyscalls with the process calls of lookup/process.h in the same
// script, so a test orders a qemu/ lookup's every call:
//
//   FakeProcessSyscalls sys;
//   sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
//   sys.Expect("pipe2").Returns(5);
//   sys.Expect("spawn").Returns(4242);
//   sys.Expect("close").OnFd(6);
//   ...
//   sys.Expect("waitpid").IntValue(ExitedWith(0));

#ifndef SSHPROXY_LOOKUP_TESTING_FAKE_PROCESS_H_
#define SSHPROXY_LOOKUP_TESTING_FAKE_PROCESS_H_

#include "lookup/process.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::lookup {

// Wait statuses, as waitpid() writes them, for IntValue().
constexpr int ExitedWith(int code) { return (code & 0xff) << 8; }
constexpr int KilledBy(int signal) { return signal & 0x7f; }

class FakeProcessSyscalls final : public net::FakeSyscalls, public ProcessSyscalls {
 public:
  // readlink: Data() is the link's target.
  SyscallResult<ssize_t> ReadLink(const char* path, char* buf, size_t len) override;
  // spawn: Returns(pid) (default 100). Rendered with the argv, e.g.
  // "spawn(/bin/helper any web, out 6)"; on descriptor `out_fd`.
  SyscallResult<pid_t> Spawn(const char* path, char* const argv[], int out_fd) override;
  // waitpid: Returns(pid) (default the pid asked for), the status from
  // IntValue(ExitedWith(code)) or IntValue(KilledBy(signal)), exited with 0
  // when not given; Returns(0) is WNOHANG's "still running".
  SyscallResult<pid_t> WaitPid(pid_t pid, int* status, int options) override;
  SyscallResult<int> Kill(pid_t pid, int signal) override;
};

}  // namespace sshproxy::lookup

#endif  // SSHPROXY_LOOKUP_TESTING_FAKE_PROCESS_H_
