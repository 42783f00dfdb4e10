// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/wait.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Scripts the sleeps RetryUntil must take (as poll on no fds), advancing the
// fake clock by each.
void ExpectSleep(FakeSyscalls& sys, int ms) {
  sys.Expect("poll").Returns(0).Elapses(absl::Milliseconds(ms));
}

TEST(RetryUntilTest, BacksOffUpToASecondAndGivesUpAtTheDeadline) {
  FakeSyscalls sys;
  for (int ms : {100, 200, 400, 800, 1000, 1000, 500}) ExpectSleep(sys, ms);
  std::vector<absl::Duration> limits;
  int attempts = 0;
  absl::StatusOr<UniqueFd> fd = RetryUntil(
      sys, absl::Seconds(4), absl::InfiniteDuration(),
      [&](absl::Duration limit) -> absl::StatusOr<UniqueFd> {
        ++attempts;
        limits.push_back(limit);
        return absl::NotFoundError("connect unix:/run/vm.sock: No such file or directory");
      });
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(attempts, 8);
  EXPECT_EQ(limits.front(), absl::Seconds(4));  // each attempt gets what is left
  EXPECT_EQ(limits.back(), absl::Milliseconds(1));
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fd.status().message(),
            "connect unix:/run/vm.sock: No such file or directory (still, after 8 "
            "attempts in 4s of --wait)");
  std::vector<std::string> sleeps;
  for (const std::string& l : sys.log()) sleeps.push_back(l);
  EXPECT_THAT(sleeps, ElementsAre("poll([], 100)", "poll([], 200)", "poll([], 400)",
                                  "poll([], 800)", "poll([], 1000)", "poll([], 1000)",
                                  "poll([], 500)"));
}

TEST(RetryUntilTest, SucceedsOnceTheGuestIsUp) {
  FakeSyscalls sys;
  ExpectSleep(sys, 100);
  ExpectSleep(sys, 200);
  int attempts = 0;
  std::vector<std::string> debug;
  absl::StatusOr<UniqueFd> fd = RetryUntil(
      sys, absl::Seconds(60), absl::Seconds(5),
      [&](absl::Duration limit) -> absl::StatusOr<UniqueFd> {
        EXPECT_EQ(limit, absl::Seconds(5));  // --connect-timeout caps each attempt
        if (++attempts < 3) return absl::UnavailableError("connect vsock:3:22: Connection reset by peer");
        return UniqueFd();
      },
      [&](absl::string_view line) { debug.emplace_back(line); });
  EXPECT_TRUE(fd.ok()) << fd.status();
  EXPECT_THAT(debug, ElementsAre(
      "attempt 1: connect vsock:3:22: Connection reset by peer; again in 100ms",
      "attempt 2: connect vsock:3:22: Connection reset by peer; again in 200ms"));
}

TEST(RetryUntilTest, PermanentErrorsAreNotRetried) {
  for (absl::Status s : {absl::PermissionDeniedError("connect: Permission denied"),
                         absl::InvalidArgumentError("connect: not a socket"),
                         absl::DataLossError("bad multiplexer reply")}) {
    FakeSyscalls sys;  // no sleep scripted: any retry would abort
    int attempts = 0;
    absl::StatusOr<UniqueFd> fd = RetryUntil(
        sys, absl::Seconds(60), absl::InfiniteDuration(),
        [&](absl::Duration) -> absl::StatusOr<UniqueFd> { ++attempts; return s; });
    EXPECT_EQ(attempts, 1);
    EXPECT_EQ(fd.status(), s);
  }
}

TEST(RetryUntilTest, WithoutWaitOneAttemptUnbounded) {
  FakeSyscalls sys;
  int attempts = 0;
  absl::StatusOr<UniqueFd> fd = RetryUntil(
      sys, absl::ZeroDuration(), absl::InfiniteDuration(),
      [&](absl::Duration limit) -> absl::StatusOr<UniqueFd> {
        ++attempts;
        EXPECT_EQ(limit, absl::InfiniteDuration());
        return absl::NotFoundError("connect unix:/x: No such file or directory");
      });
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(fd.status().message(), "connect unix:/x: No such file or directory");
}

}  // namespace
}  // namespace sshproxy::net
