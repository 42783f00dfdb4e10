// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/connect.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const ConnectOptions kUnbounded;

TEST(ConnectUnixTest, ConnectsAndOwnsTheSocket) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").OnFd(3);
  {
    absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, "/run/vm.sock", kUnbounded);
    ASSERT_TRUE(fd.ok()) << fd.status();
    EXPECT_EQ(fd->get(), 3);
    sys.Expect("close").OnFd(3);
  }
  EXPECT_THAT(sys.log(),
              ElementsAre("socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)",
                          "connect(3, unix:/run/vm.sock)", "close(3)"));
}

struct ErrnoCase {
  int error;
  absl::StatusCode code;
  const char* text;
};

TEST(ConnectUnixTest, ReportsEveryConnectErrorAndClosesTheSocket) {
  const ErrnoCase cases[] = {
      {ENOENT, absl::StatusCode::kNotFound, "No such file or directory"},
      {EACCES, absl::StatusCode::kPermissionDenied, "Permission denied"},
      {ECONNREFUSED, absl::StatusCode::kUnavailable, "Connection refused"},
      {ENOTSOCK, absl::StatusCode::kInvalidArgument, "Socket operation on non-socket"},
      {EPROTOTYPE, absl::StatusCode::kInvalidArgument, "Protocol wrong type"},
  };
  for (const ErrnoCase& c : cases) {
    SCOPED_TRACE(c.text);
    FakeSyscalls sys;
    sys.Expect("socket").Returns(3);
    sys.Expect("connect").Fails(c.error);
    sys.Expect("close").OnFd(3);
    absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, "/run/vm.sock", kUnbounded);
    ASSERT_FALSE(fd.ok());
    EXPECT_EQ(fd.status().code(), c.code);
    EXPECT_THAT(std::string(fd.status().message()),
                HasSubstr(std::string("connect unix:/run/vm.sock: ") + c.text));
  }
}

TEST(ConnectUnixTest, SocketFailure) {
  FakeSyscalls sys;
  sys.Expect("socket").Fails(EMFILE);
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, "/run/vm.sock", kUnbounded);
  ASSERT_FALSE(fd.ok());
  EXPECT_THAT(std::string(fd.status().message()),
              HasSubstr("socket(AF_UNIX) for connect unix:/run/vm.sock: Too many open files"));
}

TEST(ConnectUnixTest, EintrWaitsForTheConnectionTheKernelKeptMaking) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(EINTR);
  sys.Expect("poll").Fails(EINTR);
  sys.Expect("poll").OnFd(3).Revents(POLLOUT);
  sys.Expect("getsockopt").OnFd(3).IntValue(0);
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, "/run/vm.sock", kUnbounded);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_THAT(sys.log(), ::testing::Contains("poll([3 out], -1)"));
  sys.Expect("close").OnFd(3);
}

TEST(ConnectUnixTest, EintrThenRefused) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(EINTR);
  sys.Expect("poll").Revents(POLLOUT | POLLERR);
  sys.Expect("getsockopt").IntValue(ECONNREFUSED);
  sys.Expect("close").OnFd(3);
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, "/run/vm.sock", kUnbounded);
  ASSERT_FALSE(fd.ok());
  EXPECT_THAT(std::string(fd.status().message()),
              HasSubstr("connect unix:/run/vm.sock: Connection refused"));
}

TEST(ConnectUnixTest, LongPathGoesThroughProcSelfFd) {
  const std::string path = "/tmp/" + std::string(200, 'd') + "/sshd.sock";
  FakeSyscalls sys;
  sys.Expect("open").Returns(4);
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").OnFd(3);
  sys.Expect("close").OnFd(4);
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, path, kUnbounded);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(fd->get(), 3);
  EXPECT_THAT(sys.log(), ElementsAre("open(" + path + ", O_PATH|O_CLOEXEC)",
                                     "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)",
                                     "connect(3, unix:/proc/self/fd/4)", "close(4)"));
  sys.Expect("close").OnFd(3);
}

TEST(ConnectUnixTest, PathOf107BytesFitsSunPath) {
  const std::string path = "/" + std::string(106, 'p');
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect");
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, path, kUnbounded);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(sys.log()[1], "connect(3, unix:" + path + ")");
  sys.Expect("close");
}

TEST(ConnectUnixTest, LongPathMissing) {
  const std::string path = "/" + std::string(120, 'x');
  FakeSyscalls sys;
  sys.Expect("open").Fails(ENOENT);
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, path, kUnbounded);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(fd.status().message()),
              HasSubstr("connect unix:" + path + ": No such file or directory"));
}

TEST(ConnectUnixTest, LongPathWithoutProc) {
  const std::string path = "/" + std::string(120, 'x');
  FakeSyscalls sys;
  sys.Expect("open").Returns(4);
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(ENOENT);
  sys.Expect("close").OnFd(3);
  sys.Expect("close").OnFd(4);
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, path, kUnbounded);
  ASSERT_FALSE(fd.ok());
  EXPECT_THAT(std::string(fd.status().message()),
              HasSubstr("through /proc/self/fd/4 because the path is longer than "
                        "sun_path; is /proc mounted?"));
}

TEST(ConnectUnixTest, PathsAreEscapedInMessages) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(ENOENT);
  sys.Expect("close");
  absl::StatusOr<UniqueFd> fd = ConnectUnix(sys, "/run/a\nb", kUnbounded);
  ASSERT_FALSE(fd.ok());
  EXPECT_THAT(std::string(fd.status().message()), HasSubstr("unix:/run/a\\nb"));
}

TEST(ConnectTimeoutTest, GivesUpAtTheDeadline) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(EINPROGRESS);
  sys.Expect("poll").OnFd(3).Returns(0).Elapses(absl::Seconds(5));
  sys.Expect("close").OnFd(3);
  absl::StatusOr<UniqueFd> fd =
      ConnectVsock(sys, 4711, 22, ConnectOptions{absl::Seconds(5)});
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(fd.status().message(), "connect vsock:4711:22: no answer within 5s");
  EXPECT_THAT(sys.log(),
              ElementsAre("socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)",
                          "connect(3, vsock:4711:22)", "poll([3 out], 5000)", "close(3)"));
}

TEST(ConnectTimeoutTest, ConnectsInTimeAndRestoresBlockingMode) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(EINPROGRESS);
  sys.Expect("poll").Revents(POLLOUT).Elapses(absl::Milliseconds(300));
  sys.Expect("getsockopt").IntValue(0);
  sys.Expect("fcntl").Returns(O_RDWR | O_NONBLOCK);
  sys.Expect("fcntl");
  absl::StatusOr<UniqueFd> fd =
      ConnectVsock(sys, 3, 22, ConnectOptions{absl::Seconds(5)});
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(sys.log().back(), "fcntl(3, F_SETFL, " + std::to_string(O_RDWR) + ")");
  sys.Expect("close");
}

TEST(ConnectTimeoutTest, FullBacklogIsRetriedUntilTheDeadline) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(EAGAIN);
  sys.Expect("poll").Elapses(absl::Milliseconds(10));
  sys.Expect("connect").Fails(EAGAIN);
  sys.Expect("poll").Elapses(absl::Milliseconds(10));
  sys.Expect("connect").Fails(EAGAIN);
  sys.Expect("close");
  absl::StatusOr<UniqueFd> fd =
      ConnectUnix(sys, "/run/x", ConnectOptions{absl::Milliseconds(25)});
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(sys.log()[2], "poll([], 10)");
}

TEST(ConnectVsockTest, ConnectsToCidAndPort) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(5);
  sys.Expect("connect").OnFd(5);
  absl::StatusOr<UniqueFd> fd = ConnectVsock(sys, 4294967294u, 2222, kUnbounded);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_THAT(sys.log(), ElementsAre("socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0)",
                                     "connect(5, vsock:4294967294:2222)"));
  sys.Expect("close").OnFd(5);
}

TEST(ConnectVsockTest, NoVsockInThisKernel) {
  FakeSyscalls sys;
  sys.Expect("socket").Fails(EAFNOSUPPORT);
  absl::StatusOr<UniqueFd> fd = ConnectVsock(sys, 3, 22, kUnbounded);
  ASSERT_FALSE(fd.ok());
  EXPECT_THAT(std::string(fd.status().message()),
              HasSubstr("socket(AF_VSOCK) for connect vsock:3:22: Address family "
                        "not supported by protocol"));
}

TEST(ConnectVsockTest, Refused) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(ECONNRESET);
  sys.Expect("close");
  absl::StatusOr<UniqueFd> fd = ConnectVsock(sys, 3, 22, kUnbounded);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().message(), "connect vsock:3:22: Connection reset by peer");
}

TEST(ConnectTcpTest, Ipv4AndIpv6Literals) {
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1", "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)"},
      {"::1", "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, 0)"},
      {"[fe80::1]", "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, 0)"},
  };
  for (const auto& [address, want] : cases) {
    FakeSyscalls sys;
    sys.Expect("socket").Returns(3);
    sys.Expect("connect").Fails(ECONNREFUSED);
    sys.Expect("close");
    absl::StatusOr<UniqueFd> fd = ConnectTcp(sys, address, 2222, kUnbounded);
    EXPECT_EQ(sys.log()[0], want) << address;
    EXPECT_THAT(std::string(fd.status().message()), HasSubstr(":2222: Connection refused"));
  }
}

TEST(ConnectTcpTest, NamesAreNotResolved) {
  for (const char* address : {"example.com", "", "1.2.3", "[::1", "fe80::1%eth0"}) {
    FakeSyscalls sys;  // nothing may be called
    absl::StatusOr<UniqueFd> fd = ConnectTcp(sys, address, 22, kUnbounded);
    ASSERT_FALSE(fd.ok()) << address;
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(fd.status().message()),
                HasSubstr("is not an IPv4 or IPv6 address"));
  }
}

}  // namespace
}  // namespace sshproxy::net
