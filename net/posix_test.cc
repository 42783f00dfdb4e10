// Copyright 2026 The ssh-socket-proxy Authors.
//
// The connectors and the hand-over against the real kernel, on AF_UNIX
// sockets in a temporary directory only.

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "net/connect.h"
#include "net/handover.h"
#include "net/posix_syscalls.h"

namespace sshproxy::net {
namespace {

// A listening AF_UNIX socket at `path` (bound through a short /proc path when
// `path` is too long for sun_path, via a directory descriptor).
int Listen(const std::string& dir, const std::string& name, int backlog = 8) {
  int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY);
  EXPECT_GE(dfd, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::string p = absl::StrCat("/proc/self/fd/", dfd, "/", name);
  std::memcpy(addr.sun_path, p.data(), p.size());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  EXPECT_EQ(listen(s, backlog), 0);
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

// The option the relay sets on a VM's TCP connection, on a real one.
TEST(PosixTest, TcpNoDelayIsSet) {
  PosixSyscalls sys;
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  absl::StatusOr<UniqueFd> fd = ConnectTcp(sys, "127.0.0.1", ntohs(addr.sin_port), {});
  ASSERT_TRUE(fd.ok()) << fd.status();
  int on = -1;
  socklen_t on_len = sizeof(on);
  ASSERT_EQ(getsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &on, &on_len), 0);
  EXPECT_EQ(on, 0);  // the kernel's default: Nagle on
  ASSERT_TRUE(SetTcpNoDelay(sys, fd->get()).ok());
  ASSERT_EQ(getsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &on, &on_len), 0);
  EXPECT_NE(on, 0);
  close(listener);
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
  EXPECT_EQ(fd.status().message(),
            absl::StrCat("connect unix:", file, ": a regular file is there, not a socket"));
  fd = ConnectUnix(sys, dir, {absl::Seconds(1)});
  EXPECT_EQ(fd.status().message(),
            absl::StrCat("connect unix:", dir, ": a directory is there, not a socket"));
  // A socket file nobody listens on any more.
  close(Listen(dir, "stale.sock"));
  fd = ConnectUnix(sys, dir + "/stale.sock", {});
  EXPECT_TRUE(absl::IsUnavailable(fd.status())) << fd.status();
  // A pipe is not a socket.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_FALSE(IsUnixSocket(sys, p[1]).value());
  close(p[0]);
  close(p[1]);
}

// A listener whose backlog is full: listen(0) and one connection pending.
// In /tmp: the path must fit in sun_path, and Bazel's TEST_TMPDIR may not.
struct FullBacklog {
  FullBacklog() : dir("/tmp/ssp-net.XXXXXX") {
    EXPECT_NE(mkdtemp(dir.data()), nullptr);
    path = dir + "/full.sock";
    listener = Listen(dir, "full.sock", 0);
    pending = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    EXPECT_EQ(connect(pending, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~FullBacklog() {
    close(pending);
    close(listener);
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
  std::string dir;
  std::string path;
  int listener;
  int pending;
};

void Ignore(int) {}

// Interrupts `thread` with SIGUSR1 every 20 ms until `done`.
std::thread Interrupter(pthread_t thread, const std::atomic<bool>& done) {
  struct sigaction sa = {};
  sa.sa_handler = Ignore;  // no SA_RESTART: blocking calls see EINTR
  sigaction(SIGUSR1, &sa, nullptr);
  return std::thread([thread, &done] {
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!done) pthread_kill(thread, SIGUSR1);
    }
  });
}

// What Linux does, which ConnectUnix relies on: a blocking AF_UNIX connect
// that a signal interrupts returns EINTR and leaves the socket unconnected
// (polls writable, SO_ERROR 0, no peer), and connecting the same socket
// again works.
TEST(PosixTest, KernelLeavesAnInterruptedUnixConnectUnconnected) {
  FullBacklog full;
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, full.path.data(), full.path.size());
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  std::atomic<bool> done{false};
  std::thread kicker = Interrupter(pthread_self(), done);
  int r = connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int error = errno;
  done = true;
  kicker.join();
  ASSERT_EQ(r, -1);
  EXPECT_EQ(error, EINTR) << strerror(error);
  pollfd p = {s, POLLOUT, 0};
  EXPECT_EQ(poll(&p, 1, 0), 1);
  EXPECT_NE(p.revents & POLLOUT, 0);
  EXPECT_NE(p.revents & POLLHUP, 0);
  int so_error = -1;
  socklen_t len = sizeof(so_error);
  EXPECT_EQ(getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &len), 0);
  EXPECT_EQ(so_error, 0);
  sockaddr_un peer;
  socklen_t peer_len = sizeof(peer);
  EXPECT_EQ(getpeername(s, reinterpret_cast<sockaddr*>(&peer), &peer_len), -1);
  EXPECT_EQ(errno, ENOTCONN);
  close(accept(full.listener, nullptr, nullptr));  // room in the backlog
  EXPECT_EQ(connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << strerror(errno);
  close(s);
}

// ConnectUnix without a timeout, interrupted over and over while the backlog
// is full: it must come back with a socket that is really connected.
TEST(PosixTest, InterruptedUnixConnectIsConnectedAfterAll) {
  PosixSyscalls sys;
  FullBacklog full;
  std::atomic<bool> done{false};
  std::thread kicker = Interrupter(pthread_self(), done);
  std::thread room([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    close(accept(full.listener, nullptr, nullptr));
  });
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, full.path, {});
  done = true;
  kicker.join();
  room.join();
  ASSERT_TRUE(fd.ok()) << fd.status();
  sockaddr_un peer;
  socklen_t peer_len = sizeof(peer);
  ASSERT_EQ(getpeername(fd->get(), reinterpret_cast<sockaddr*>(&peer), &peer_len), 0)
      << "handed back an unconnected socket: " << strerror(errno);
  int server = accept(full.listener, nullptr, nullptr);
  ASSERT_GE(server, 0);
  ASSERT_EQ(write(fd->get(), "x", 1), 1) << strerror(errno);
  char c;
  EXPECT_EQ(read(server, &c, 1), 1);
  close(server);
}

// The default deadline against the real thing: a full backlog ends in
// DeadlineExceeded, on time.
TEST(PosixTest, FullBacklogTimesOut) {
  PosixSyscalls sys;
  FullBacklog full;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, full.path, {absl::Milliseconds(300)});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(absl::IsDeadlineExceeded(fd.status())) << fd.status();
  EXPECT_EQ(fd.status().message(), absl::StrCat("connect unix:", full.path, ": timed out"));
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(5));
}

}  // namespace
}  // namespace sshproxy::net
