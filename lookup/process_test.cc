// Copyright 2026 The ssh-socket-proxy Authors.
//
// The real kernel: lookup's process calls on /bin/sh and a pipe.

#include "lookup/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace sshproxy::lookup {
namespace {

// What the qemu/ lookup uses: readlink, posix_spawn with the child's
// stdout and stderr on a pipe and stdin on /dev/null, waitpid, kill.
TEST(PosixProcessTest, SpawnsWithOutputOnAPipe) {
  PosixProcessSyscalls sys;
  char self[4096];
  SyscallResult<ssize_t> n = sys.ReadLink("/proc/self/exe", self, sizeof(self));
  ASSERT_TRUE(n.ok()) << n.error;
  EXPECT_EQ(self[0], '/');

  int fds[2];
  ASSERT_TRUE(sys.Pipe2(fds, O_CLOEXEC).ok());
  char sh[] = "/bin/sh", c[] = "-c",
       script[] = "echo out; echo err >&2; read x && echo stdin-not-empty; exit 3";
  char* argv[] = {sh, c, script, nullptr};
  SyscallResult<pid_t> pid = sys.Spawn("/bin/sh", argv, fds[1]);
  ASSERT_TRUE(pid.ok()) << pid.error;
  close(fds[1]);
  std::string output;
  char buf[256];
  for (ssize_t r; (r = read(fds[0], buf, sizeof(buf))) > 0;) output.append(buf, r);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(sys.WaitPid(pid.value, &status, 0).value, pid.value);
  EXPECT_EQ(output, "out\nerr\n");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status;

  // Exec failures are the call's error, as glibc's posix_spawn reports them.
  char missing[] = "/nonexistent/helper";
  char* argv2[] = {missing, nullptr};
  SyscallResult<pid_t> none = sys.Spawn(missing, argv2, 2);
  EXPECT_EQ(none.error, ENOENT);

  // A child that would never exit: killed and reaped.
  char sleep_script[] = "exec sleep 60";
  char* argv3[] = {sh, c, sleep_script, nullptr};
  SyscallResult<pid_t> sleeper = sys.Spawn("/bin/sh", argv3, 2);
  ASSERT_TRUE(sleeper.ok());
  EXPECT_EQ(sys.WaitPid(sleeper.value, &status, WNOHANG).value, 0);
  ASSERT_TRUE(sys.Kill(sleeper.value, SIGKILL).ok());
  ASSERT_EQ(sys.WaitPid(sleeper.value, &status, 0).value, sleeper.value);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

}  // namespace
}  // namespace sshproxy::lookup
