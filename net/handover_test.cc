// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/handover.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/error.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SendFdTest, SendsOneNulByteWithTheDescriptor) {
  FakeSyscalls sys;
  sys.Expect("sendmsg").OnFd(1);
  ASSERT_TRUE(SendFd(sys, 1, 3).ok());
  EXPECT_THAT(sys.log(), ElementsAre("sendmsg(1, \"\\000\", fd 3, MSG_NOSIGNAL, MSG_DONTWAIT)"));
}

TEST(SendFdTest, RetriesOnEintrAndWaitsOnEagain) {
  FakeSyscalls sys;
  sys.Expect("sendmsg").Fails(EINTR);
  sys.Expect("sendmsg").Fails(EAGAIN);
  sys.Expect("poll").OnFd(1).Revents(POLLOUT);
  sys.Expect("sendmsg");
  ASSERT_TRUE(SendFd(sys, 1, 3).ok());
  EXPECT_EQ(sys.log()[2], "poll([1 out], 10000)");
}

// A peer that never reads a full channel: the hand-over gives up at its
// bound instead of waiting for ever.
TEST(SendFdTest, GivesUpWhenTheChannelNeverDrains) {
  FakeSyscalls sys;
  sys.Expect("sendmsg").Fails(EAGAIN);
  sys.Expect("poll").OnFd(1).Fails(EINTR).Elapses(absl::Seconds(4));
  sys.Expect("poll").OnFd(1).Elapses(absl::Seconds(6));
  absl::Status s = SendFd(sys, 1, 3);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s.message(), "handing the connection over on fd 1: nothing read it within 10s");
  EXPECT_FALSE(WaitingHelps(s));
  EXPECT_THAT(sys.log(), ElementsAre("sendmsg(1, \"\\000\", fd 3, MSG_NOSIGNAL, MSG_DONTWAIT)",
                                     "poll([1 out], 10000)", "poll([1 out], 6000)"));
}

TEST(SendFdTest, SshWentAway) {
  for (int error : {EPIPE, ECONNRESET}) {
    FakeSyscalls sys;
    sys.Expect("sendmsg").Fails(error);
    absl::Status s = SendFd(sys, 1, 3);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(s.message(),
              absl::StrCat("ssh closed its end before taking the connection (sendmsg: ",
                           std::strerror(error), ")"));
    EXPECT_EQ(ErrnoOf(s), error);
  }
}

TEST(SendFdTest, ShortSendmsg) {
  FakeSyscalls sys;
  sys.Expect("sendmsg").Returns(0);
  absl::Status s = SendFd(sys, 1, 3);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("sent 0 of 1 byte"));
}

TEST(SendFdTest, OtherErrors) {
  FakeSyscalls sys;
  sys.Expect("sendmsg").Fails(ENOTSOCK);
  absl::Status s = SendFd(sys, 1, 3);
  EXPECT_EQ(s.message(), "sendmsg on fd 1: Socket operation on non-socket");
  EXPECT_EQ(ErrnoOf(s), ENOTSOCK);
}

TEST(IsUnixSocketTest, DistinguishesChannels) {
  {
    FakeSyscalls sys;
    sys.Expect("fstat").OnFd(1).Mode(S_IFSOCK | 0777);
    sys.Expect("getsockopt").OnFd(1).IntValue(AF_UNIX);
    EXPECT_EQ(IsUnixSocket(sys, 1).value(), true);
  }
  {
    FakeSyscalls sys;
    sys.Expect("fstat").Mode(S_IFSOCK | 0777);
    sys.Expect("getsockopt").IntValue(AF_INET);
    EXPECT_EQ(IsUnixSocket(sys, 1).value(), false);
  }
  for (unsigned mode : {S_IFIFO, S_IFREG, S_IFCHR}) {
    FakeSyscalls sys;
    sys.Expect("fstat").Mode(mode | 0600);
    EXPECT_EQ(IsUnixSocket(sys, 1).value(), false);
  }
  {
    FakeSyscalls sys;
    sys.Expect("fstat").Fails(EBADF);
    absl::StatusOr<bool> r = IsUnixSocket(sys, 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "fstat(1): Bad file descriptor");
  }
}

}  // namespace
}  // namespace sshproxy::net
