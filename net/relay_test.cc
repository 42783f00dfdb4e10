// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/relay.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  // F_SETPIPE_SZ
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/posix_syscalls.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::net {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

void WriteAllOrDie(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    ASSERT_GT(w, 0) << strerror(errno);
    off += static_cast<size_t>(w);
  }
}

std::string ReadToEof(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class RelayPosixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    ASSERT_EQ(pipe2(in_, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(out_, O_CLOEXEC), 0);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock_), 0);
  }
  void TearDown() override {
    for (int fd : {in_[0], in_[1], out_[0], out_[1], sock_[0], sock_[1]}) close(fd);
  }
  int in_[2], out_[2], sock_[2];  // relay gets in_[0], out_[1], sock_[0]
  PosixSyscalls sys_;
};

TEST_F(RelayPosixTest, BothWaysWithoutLosingAByteAndHalfCloses) {
  const std::string up = RandomBytes(24 << 20, 1);
  const std::string down = RandomBytes(16 << 20, 2);
  std::string got_up, got_down;
  // ssh writes the session, then closes its write end (EOF on our stdin).
  std::thread ssh_writer([&] { WriteAllOrDie(in_[1], up); close(in_[1]); in_[1] = -1; });
  std::thread ssh_reader([&] { got_down = ReadToEof(out_[0]); });
  // The guest reads until EOF (our shutdown), then answers and closes.
  std::thread guest([&] {
    got_up = ReadToEof(sock_[1]);
    WriteAllOrDie(sock_[1], down);
    close(sock_[1]);
    sock_[1] = -1;
  });
  RelayStats stats;
  absl::Status s = Relay(sys_, in_[0], out_[1], sock_[0], &stats);
  out_[1] = -1;  // Relay closed it
  ssh_writer.join();
  guest.join();
  ssh_reader.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(got_up == up) << got_up.size() << " of " << up.size();
  EXPECT_TRUE(got_down == down) << got_down.size() << " of " << down.size();
  EXPECT_EQ(stats.to_socket, up.size());
  EXPECT_EQ(stats.from_socket, down.size());
  EXPECT_TRUE(stats.spliced);
}

TEST_F(RelayPosixTest, GuestClosesFirst) {
  const std::string down = RandomBytes(3 << 20, 3);
  std::string got_down;
  std::thread ssh_reader([&] { got_down = ReadToEof(out_[0]); });
  std::thread guest([&] {
    WriteAllOrDie(sock_[1], down);
    close(sock_[1]);
    sock_[1] = -1;
  });
  // ssh keeps stdin open and says nothing: the relay must still end.
  absl::Status s = Relay(sys_, in_[0], out_[1], sock_[0]);
  out_[1] = -1;
  guest.join();
  ssh_reader.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(got_down == down);
}

TEST_F(RelayPosixTest, InteractiveExchange) {
  // Request, response, request...: nothing may wait for a full buffer.
  std::thread guest([&] {
    char buf[64];
    for (int i = 0; i < 50; ++i) {
      ssize_t n = read(sock_[1], buf, sizeof(buf));
      ASSERT_GT(n, 0);
      std::string reply = "re:" + std::string(buf, static_cast<size_t>(n));
      WriteAllOrDie(sock_[1], reply);
    }
    close(sock_[1]);
    sock_[1] = -1;
  });
  std::thread ssh([&] {
    char buf[64];
    for (int i = 0; i < 50; ++i) {
      std::string msg = "ping" + std::to_string(i);
      WriteAllOrDie(in_[1], msg);
      ssize_t n = read(out_[0], buf, sizeof(buf));
      ASSERT_EQ(std::string(buf, static_cast<size_t>(n)), "re:" + msg);
    }
  });
  absl::Status s = Relay(sys_, in_[0], out_[1], sock_[0]);
  out_[1] = -1;
  ssh.join();
  guest.join();
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(RelayPosixTest, SshStopsReading) {
  close(out_[0]);  // ssh is gone: writes to stdout fail with EPIPE
  out_[0] = -1;
  std::thread guest([&] { WriteAllOrDie(sock_[1], "banner\r\n"); });
  absl::Status s = Relay(sys_, in_[0], out_[1], sock_[0]);
  out_[1] = -1;
  guest.join();
  EXPECT_TRUE(s.ok()) << s;
}

// The relay's set-up: the socket made non-blocking, ssh's pipes grown.
void ExpectSetup(FakeSyscalls& sys) {
  sys.Expect("fcntl").OnFd(3).Returns(O_RDWR);
  sys.Expect("fcntl").OnFd(3);
  sys.Expect("fcntl").OnFd(0);
  sys.Expect("fcntl").OnFd(1);
}

// splice(3 -> 1) finds nothing; a zero-timeout poll says the socket is empty.
void ExpectDownIdle(FakeSyscalls& sys) {
  sys.Expect("splice").OnFd(3).Fails(EAGAIN);
  sys.Expect("poll").OnFd(3).Returns(0);
}

TEST(RelayFakeTest, FallsBackToReadWriteAndHalfClosesOnStdinEof) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectSetup(sys);
  // stdin (a terminal, say) refuses splice, straight and through a pipe:
  // read/write it is, each read after poll.
  sys.Expect("splice").OnFd(0).Fails(EINVAL);
  sys.Expect("pipe2").Returns(5);
  sys.Expect("fcntl").OnFd(6);
  ExpectDownIdle(sys);
  sys.Expect("splice").OnFd(0).Fails(EINVAL);
  sys.Expect("close").OnFd(5);
  sys.Expect("close").OnFd(6);
  ExpectDownIdle(sys);
  ExpectDownIdle(sys);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("read").OnFd(0).Data("hello");
  sys.Expect("write").OnFd(3).Returns(2);  // a short write
  sys.Expect("write").OnFd(3);
  ExpectDownIdle(sys);
  ExpectDownIdle(sys);
  sys.Expect("poll").Fails(EINTR);
  ExpectDownIdle(sys);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("read").OnFd(0).Returns(0);  // ssh is done talking
  sys.Expect("splice").OnFd(3).Returns(4);
  sys.Expect("splice").OnFd(3).Returns(0);  // and so is the guest
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  absl::Status s = Relay(sys, 0, 1, 3, &stats);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(sys.log(), Contains("write(3, \"hello\")"));
  EXPECT_THAT(sys.log(), Contains("write(3, \"llo\")"));
  EXPECT_THAT(sys.log(), Contains("poll([0 in, 3 in], -1)"));
  EXPECT_THAT(sys.log(), Contains("shutdown(3, SHUT_WR)"));
  // ssh's 64 KiB pipes are grown to 1 MiB (F_SETPIPE_SZ): 5x the throughput.
  EXPECT_THAT(sys.log(), Contains(absl::StrCat("fcntl(0, ", F_SETPIPE_SZ, ", 1048576)")));
  EXPECT_THAT(sys.log(), Contains(absl::StrCat("fcntl(1, ", F_SETPIPE_SZ, ", 1048576)")));
  EXPECT_EQ(stats.to_socket, 5u);
  EXPECT_EQ(stats.from_socket, 4u);
  EXPECT_FALSE(stats.spliced);
}

TEST(RelayFakeTest, DirectSpliceWaitsForTheSideThatIsStuck) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectSetup(sys);
  // stdin has data but the socket is full: wait for the socket.
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  sys.Expect("poll").OnFd(0).Revents(POLLIN);
  ExpectDownIdle(sys);
  sys.Expect("poll").Revents(POLLOUT);
  sys.Expect("splice").OnFd(0).Returns(65536);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  ASSERT_TRUE(Relay(sys, 0, 1, 3, &stats).ok());
  EXPECT_THAT(sys.log(), Contains("poll([3 out, 3 in], -1)"));
  EXPECT_EQ(stats.to_socket, 65536u);
  EXPECT_TRUE(stats.spliced);
}

TEST(RelayFakeTest, SshGoneStopsCleanly) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectSetup(sys);
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  sys.Expect("poll").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(100);
  sys.Expect("splice").OnFd(3).Fails(EPIPE);  // ssh closed our stdout
  sys.Expect("close").OnFd(1);
  EXPECT_TRUE(Relay(sys, 0, 1, 3).ok());
}

TEST(RelayFakeTest, EveryErrorNamesItsDirection) {
  FakeSyscalls sys;
  ExpectSetup(sys);
  sys.Expect("splice").OnFd(0).Fails(EIO);
  absl::Status s = Relay(sys, 0, 1, 3);
  EXPECT_EQ(s.message(), "relay stdin to socket: splice: Input/output error");
}

TEST(RelayFakeTest, PipeFailure) {
  FakeSyscalls sys;
  ExpectSetup(sys);
  sys.Expect("splice").OnFd(0).Fails(EINVAL);  // not a pipe: needs ours
  sys.Expect("pipe2").Fails(EMFILE);
  absl::Status s = Relay(sys, 0, 1, 3);
  EXPECT_EQ(s.message(), "relay stdin to socket: pipe2: Too many open files");
}

}  // namespace
}  // namespace sshproxy::net
