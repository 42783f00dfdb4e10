// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/connect.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

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

// The fault matrix: every system call of a connect failing in every way it
// can. Each row scripts the calls up to the failing one; the fake aborts on
// any other call (no retry loop can spin) and on a descriptor left open.
struct FaultCase {
  const char* name;
  bool unix_socket;  // ConnectUnix("/run/vm.sock"), else ConnectTcp(127.0.0.1:22)
  bool bounded;      // with a 5 s timeout: non-blocking connect, then fcntl
  void (*script)(FakeSyscalls&);
  absl::StatusCode code;
  const char* message;  // kOk: none
};

const FaultCase kFaults[] = {
    {"socket_emfile", false, true, [](FakeSyscalls& s) { s.Expect("socket").Fails(EMFILE); },
     absl::StatusCode::kResourceExhausted,
     "socket(AF_INET) for connect tcp:127.0.0.1:22: Too many open files"},
    {"socket_eacces", true, true, [](FakeSyscalls& s) { s.Expect("socket").Fails(EACCES); },
     absl::StatusCode::kPermissionDenied,
     "socket(AF_UNIX) for connect unix:/run/vm.sock: Permission denied"},
    {"unix_enoent", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(ENOENT);
       s.Expect("close");
     },
     absl::StatusCode::kNotFound, "connect unix:/run/vm.sock: No such file or directory"},
    {"unix_eacces", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EACCES);
       s.Expect("close");
     },
     absl::StatusCode::kPermissionDenied, "connect unix:/run/vm.sock: Permission denied"},
    {"unix_enotsock", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(ENOTSOCK);
       s.Expect("close");
     },
     absl::StatusCode::kInvalidArgument, "Socket operation on non-socket"},
    {"unix_eprototype", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EPROTOTYPE);
       s.Expect("close");
     },
     absl::StatusCode::kInvalidArgument, "Protocol wrong type"},
    {"unix_refused_by_a_socket", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket").Returns(3);
       s.Expect("connect").Fails(ECONNREFUSED);
       s.Expect("close").OnFd(3);
       s.Expect("open").Returns(4);
       s.Expect("fstat").OnFd(4).Mode(S_IFSOCK | 0777);
       s.Expect("close").OnFd(4);
     },
     absl::StatusCode::kUnavailable, "connect unix:/run/vm.sock: Connection refused"},
    {"unix_refused_directory", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(ECONNREFUSED);
       s.Expect("close");
       s.Expect("open").Returns(4);
       s.Expect("fstat").OnFd(4).Mode(S_IFDIR | 0755);
       s.Expect("close").OnFd(4);
     },
     absl::StatusCode::kFailedPrecondition,
     "connect unix:/run/vm.sock: a directory is there, not a socket"},
    {"unix_refused_regular_file", true, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(ECONNREFUSED);
       s.Expect("close");
       s.Expect("open").Returns(4);
       s.Expect("fstat").Mode(S_IFREG | 0644);
       s.Expect("close").OnFd(4);
     },
     absl::StatusCode::kFailedPrecondition,
     "connect unix:/run/vm.sock: a regular file is there, not a socket"},
    {"unix_refused_then_gone", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(ECONNREFUSED);
       s.Expect("close");
       s.Expect("open").Fails(ENOENT);
     },
     absl::StatusCode::kUnavailable, "connect unix:/run/vm.sock: Connection refused"},
    {"unix_refused_fstat_fails", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(ECONNREFUSED);
       s.Expect("close");
       s.Expect("open").Returns(4);
       s.Expect("fstat").Fails(EACCES);
       s.Expect("close").OnFd(4);
     },
     absl::StatusCode::kUnavailable, "Connection refused"},
    {"unix_eintr_connects_again", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINTR);
       s.Expect("connect");
       s.Expect("close");  // the test's UniqueFd
     },
     absl::StatusCode::kOk, nullptr},
    {"unix_eintr_then_refused", true, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINTR);
       s.Expect("connect").Fails(ECONNREFUSED);
       s.Expect("close");
       s.Expect("open").Fails(ENOENT);
     },
     absl::StatusCode::kUnavailable, "Connection refused"},
    {"unix_full_backlog_then_accepted", true, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EAGAIN);
       s.Expect("poll").Elapses(absl::Milliseconds(10));
       s.Expect("connect");
       s.Expect("fcntl").Returns(O_RDWR | O_NONBLOCK);
       s.Expect("fcntl");
       s.Expect("close");
     },
     absl::StatusCode::kOk, nullptr},
    {"tcp_no_local_port", false, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EAGAIN);
       s.Expect("close");
     },
     absl::StatusCode::kUnavailable,
     "connect tcp:127.0.0.1:22: Resource temporarily unavailable"},
    {"tcp_refused", false, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(ECONNREFUSED);
       s.Expect("close");
     },
     absl::StatusCode::kUnavailable, "connect tcp:127.0.0.1:22: Connection refused"},
    {"tcp_eintr_waits_for_the_kernel", false, false,
     [](FakeSyscalls& s) {
       s.Expect("socket").Returns(3);
       s.Expect("connect").Fails(EINTR);
       s.Expect("poll").Fails(EINTR);
       s.Expect("poll").OnFd(3).Revents(POLLOUT);
       s.Expect("getsockopt").OnFd(3).IntValue(0);
       s.Expect("close");
     },
     absl::StatusCode::kOk, nullptr},
    {"tcp_eintr_then_refused", false, false,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINTR);
       s.Expect("poll").Revents(POLLOUT | POLLERR);
       s.Expect("getsockopt").IntValue(ECONNREFUSED);
       s.Expect("close");
     },
     absl::StatusCode::kUnavailable, "connect tcp:127.0.0.1:22: Connection refused"},
    {"tcp_poll_fails", false, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINPROGRESS);
       s.Expect("poll").Fails(ENOMEM);
       s.Expect("close");
     },
     absl::StatusCode::kResourceExhausted, "connect tcp:127.0.0.1:22: poll: Cannot allocate memory"},
    {"tcp_getsockopt_fails", false, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINPROGRESS);
       s.Expect("poll").Revents(POLLOUT);
       s.Expect("getsockopt").Fails(ENOBUFS);
       s.Expect("close");
     },
     absl::StatusCode::kResourceExhausted, "connect tcp:127.0.0.1:22: SO_ERROR: No buffer space"},
    {"tcp_reset_while_connecting", false, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINPROGRESS);
       s.Expect("poll").Revents(POLLOUT | POLLHUP);
       s.Expect("getsockopt").IntValue(ECONNRESET);
       s.Expect("close");
     },
     absl::StatusCode::kUnavailable, "Connection reset by peer"},
    {"tcp_timed_out_by_the_kernel", false, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINPROGRESS);
       s.Expect("poll").Revents(POLLOUT | POLLERR);
       s.Expect("getsockopt").IntValue(ETIMEDOUT);
       s.Expect("close");
     },
     absl::StatusCode::kDeadlineExceeded, "Connection timed out"},
    {"tcp_timed_out_by_us", false, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINPROGRESS);
       s.Expect("poll").Returns(0).Elapses(absl::Seconds(5));
       s.Expect("close");
     },
     absl::StatusCode::kDeadlineExceeded, "connect tcp:127.0.0.1:22: timed out"},
    {"fcntl_getfl_fails", false, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect");
       s.Expect("fcntl").Fails(EBADF);
       s.Expect("close");
     },
     absl::StatusCode::kFailedPrecondition,
     "connect tcp:127.0.0.1:22: clearing O_NONBLOCK: Bad file descriptor"},
    {"fcntl_setfl_fails", false, true,
     [](FakeSyscalls& s) {
       s.Expect("socket");
       s.Expect("connect").Fails(EINPROGRESS);
       s.Expect("poll").Revents(POLLOUT);
       s.Expect("getsockopt").IntValue(0);
       s.Expect("fcntl").Returns(O_RDWR | O_NONBLOCK);
       s.Expect("fcntl").Fails(EINVAL);
       s.Expect("close");
     },
     absl::StatusCode::kInvalidArgument, "clearing O_NONBLOCK: Invalid argument"},
};

TEST(ConnectFaultTest, EveryFailureEndsWithOneLineAndNoDescriptorLeft) {
  for (const FaultCase& c : kFaults) {
    SCOPED_TRACE(c.name);
    FakeSyscalls sys;
    c.script(sys);
    const ConnectOptions options{c.bounded ? absl::Seconds(5) : absl::InfiniteDuration()};
    {
      absl::StatusOr<UniqueFd> fd = c.unix_socket
                                        ? ConnectUnix(sys, "/run/vm.sock", options)
                                        : ConnectTcp(sys, "127.0.0.1", 22, options);
      EXPECT_EQ(fd.status().code(), c.code) << fd.status();
      if (c.message != nullptr) {
        EXPECT_THAT(std::string(fd.status().message()), HasSubstr(c.message));
        EXPECT_EQ(std::string(fd.status().message()).find('\n'), std::string::npos);
      }
    }
    EXPECT_EQ(sys.pending(), 0u) << "calls left unmade";
    EXPECT_TRUE(sys.open_fds().empty());
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
  sys.Expect("setsockopt").OnFd(3);
  sys.Expect("connect").Fails(EINPROGRESS);
  sys.Expect("poll").OnFd(3).Returns(0).Elapses(absl::Seconds(5));
  sys.Expect("close").OnFd(3);
  absl::StatusOr<UniqueFd> fd =
      ConnectVsock(sys, 4711, 22, ConnectOptions{absl::Seconds(5)});
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(fd.status().message(), "connect vsock:4711:22: timed out");
  EXPECT_THAT(sys.log(),
              ElementsAre("socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)",
                          "setsockopt(3, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, 5s)",
                          "connect(3, vsock:4711:22)", "poll([3 out], 5000)", "close(3)"));
}

// The kernel's own AF_VSOCK connect timer (2 s by default) would end the
// connect first, with ETIMEDOUT, while the user was told --connect-timeout.
TEST(ConnectTimeoutTest, VsockKernelTimerGetsTheRemainingDeadline) {
  struct Case {
    absl::Duration timeout;
    const char* shown;
  } cases[] = {
      {absl::Seconds(10), "10s"},
      {absl::Milliseconds(2500), "2.5s"},
      {absl::Seconds(600), "10m"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shown);
    FakeSyscalls sys;
    sys.Expect("socket").Returns(3);
    sys.Expect("setsockopt").OnFd(3);
    sys.Expect("connect").Fails(EINPROGRESS);
    sys.Expect("poll").OnFd(3).Returns(0).Elapses(c.timeout);
    sys.Expect("close").OnFd(3);
    absl::StatusOr<UniqueFd> fd = ConnectVsock(sys, 3, 22, ConnectOptions{c.timeout});
    ASSERT_FALSE(fd.ok());
    EXPECT_EQ(sys.log()[1],
              absl::StrCat("setsockopt(3, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, ", c.shown, ")"));
  }
}

TEST(ConnectTimeoutTest, VsockTimerNotSetIsAnError) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("setsockopt").OnFd(3).Fails(ENOPROTOOPT);
  sys.Expect("close").OnFd(3);
  absl::StatusOr<UniqueFd> fd = ConnectVsock(sys, 3, 22, ConnectOptions{absl::Seconds(5)});
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fd.status().message(),
            "connect vsock:3:22: setsockopt(SO_VM_SOCKETS_CONNECT_TIMEOUT): Protocol not available");
}

// Unbounded (--connect-timeout 0) and AF_UNIX connects leave it alone.
TEST(ConnectTimeoutTest, VsockTimerOnlyForBoundedVsock) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect");
  absl::StatusOr<UniqueFd> fd = ConnectVsock(sys, 3, 22, kUnbounded);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_THAT(sys.log(), ElementsAre("socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0)",
                                     "connect(3, vsock:3:22)"));
  sys.Expect("close");
}

TEST(ConnectTimeoutTest, ConnectsInTimeAndRestoresBlockingMode) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("setsockopt").OnFd(3);
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

TEST(ConnectTcpTest, NoDelayTurnsNagleOff) {
  FakeSyscalls sys;
  sys.Expect("setsockopt").OnFd(3);
  sys.Expect("setsockopt").OnFd(3).Fails(ENOPROTOOPT);
  EXPECT_TRUE(SetTcpNoDelay(sys, 3).ok());
  EXPECT_EQ(sys.log()[0], "setsockopt(3, IPPROTO_TCP, TCP_NODELAY, 1)");
  absl::Status s = SetTcpNoDelay(sys, 3);
  EXPECT_EQ(s.message(), "setsockopt(3, TCP_NODELAY): Protocol not available");
}

TEST(ConnectTcpTest, NamesAreNotResolved) {
  for (const char* address : {"example.com", "", "1.2.3", "[::1", "example.com%lo", "1.2.3.4%lo"}) {
    FakeSyscalls sys;  // nothing may be called
    absl::StatusOr<UniqueFd> fd = ConnectTcp(sys, address, 22, kUnbounded);
    ASSERT_FALSE(fd.ok()) << address;
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(fd.status().message()),
                HasSubstr("is not an IPv4 or IPv6 address"));
  }
}

// A link-local sshAddress needs its zone: the interface goes into
// sin6_scope_id (lo is interface 1 in every network namespace).
TEST(ConnectTcpTest, Ipv6WithAZone) {
  const std::pair<const char*, const char*> cases[] = {
      {"fe80::1%lo", "connect(3, inet6:[fe80::1%1]:22)"},
      {"[fe80::1%lo]", "connect(3, inet6:[fe80::1%1]:22)"},
      {"fe80::1%7", "connect(3, inet6:[fe80::1%7]:22)"},
      {"2001:db8::1%3", "connect(3, inet6:[2001:db8::1%3]:22)"},
      {"fe80::1", "connect(3, inet6:[fe80::1%0]:22)"},
  };
  for (const auto& [address, want] : cases) {
    FakeSyscalls sys;
    sys.Expect("socket").Returns(3);
    sys.Expect("connect").Fails(ECONNREFUSED);
    sys.Expect("close");
    absl::StatusOr<UniqueFd> fd = ConnectTcp(sys, address, 22, kUnbounded);
    ASSERT_GE(sys.log().size(), 2u) << address;
    EXPECT_EQ(sys.log()[1], want) << address;
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnavailable) << address;
  }
}

TEST(ConnectTcpTest, ZoneThatIsNoInterface) {
  const std::pair<const char*, const char*> cases[] = {
      {"fe80::1%nosuch0",
       "IPv6 address \"fe80::1%nosuch0\": its zone \"nosuch0\" is no network interface "
       "here (ip link lists them; a name is taken for link-local fe80:: addresses only, "
       "a number for any)"},
      {"2001:db8::1%lo", "its zone \"lo\" is no network interface here"},
      {"fe80::1%", "its zone \"\" is no network interface here"},
  };
  for (const auto& [address, want] : cases) {
    FakeSyscalls sys;  // nothing may be called
    absl::StatusOr<UniqueFd> fd = ConnectTcp(sys, address, 22, kUnbounded);
    EXPECT_EQ(fd.status().code(), absl::StatusCode::kInvalidArgument) << address;
    EXPECT_THAT(std::string(fd.status().message()), HasSubstr(want)) << address;
  }
}

}  // namespace
}  // namespace sshproxy::net
