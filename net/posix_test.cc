// Copyright 2026 The ssh-socket-proxy Authors.
//
// The connectors and the hand-over against the real kernel, on AF_UNIX
// sockets in a temporary directory only.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "net/connect.h"
#include "net/handover.h"
#include "net/posix_syscalls.h"

namespace sshproxy::net {
namespace {

// A listening AF_UNIX socket at `path` (bound through a short /proc path when
// `path` is too long for sun_path, via a directory descriptor).
int Listen(const std::string& dir, const std::string& name) {
  int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY);
  EXPECT_GE(dfd, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::string p = absl::StrCat("/proc/self/fd/", dfd, "/", name);
  std::memcpy(addr.sun_path, p.data(), p.size());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  EXPECT_EQ(listen(s, 8), 0);
  close(dfd);
  return s;
}

std::string TempDir() {
  std::string t = absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp",
                               "/net.XXXXXX");
  EXPECT_NE(mkdtemp(t.data()), nullptr);
  return t;
}

TEST(PosixTest, ConnectsShortAndLongPathsAndHandsOver) {
  PosixSyscalls sys;
  std::string dir = TempDir();
  std::string deep = dir + "/" + std::string(100, 'd');
  ASSERT_EQ(mkdir(deep.c_str(), 0700), 0);
  for (const std::string& d : {dir, deep}) {
    const std::string path = d + "/sshd.sock";
    SCOPED_TRACE(absl::StrCat(path.size(), "-byte path"));
    int listener = Listen(d, "sshd.sock");
    absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, path, {absl::Seconds(5)});
    ASSERT_TRUE(fd.ok()) << fd.status();
    int server = accept(listener, nullptr, nullptr);
    ASSERT_GE(server, 0);
    // Blocking again after the bounded connect.
    EXPECT_EQ(fcntl(fd->get(), F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);

    // Hand it over a socketpair, as ssh receives it, and talk through it.
    int pair[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    EXPECT_TRUE(IsUnixSocket(sys, pair[1]).value());
    ASSERT_TRUE(SendFd(sys, pair[1], fd->get()).ok());
    fd->reset();
    char byte = 1;
    char control[CMSG_SPACE(sizeof(int))];
    iovec iov = {&byte, 1};
    msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ASSERT_EQ(recvmsg(pair[0], &msg, 0), 1);
    EXPECT_EQ(byte, '\0');
    int received;
    std::memcpy(&received, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
    ASSERT_EQ(write(received, "ping", 4), 4);
    char buf[4];
    ASSERT_EQ(read(server, buf, 4), 4);
    EXPECT_EQ(std::string(buf, 4), "ping");
    for (int f : {received, server, listener, pair[0], pair[1]}) close(f);
  }
}

TEST(PosixTest, RealErrors) {
  PosixSyscalls sys;
  std::string dir = TempDir();
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, dir + "/missing", {});
  EXPECT_TRUE(absl::IsNotFound(fd.status())) << fd.status();
  // A regular file.
  std::string file = dir + "/file";
  close(open(file.c_str(), O_CREAT | O_WRONLY, 0600));
  fd = ConnectUnix(sys, file, {});
  EXPECT_NE(fd.status().message().find("Connection refused"), absl::string_view::npos)
      << fd.status();
  // A pipe is not a socket.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_FALSE(IsUnixSocket(sys, p[1]).value());
  close(p[0]);
  close(p[1]);
}

// What the qemu/ lookup uses: readlink, posix_spawn with the child's
// stdout and stderr on a pipe and stdin on /dev/null, waitpid, kill.
TEST(PosixTest, SpawnsWithOutputOnAPipe) {
  PosixSyscalls sys;
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
}  // namespace sshproxy::net
