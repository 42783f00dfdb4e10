// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/wait.h"

#include <algorithm>
#include <vector>

#include "gmock/gmock.h"
#include "absl/strings/str_cat.h"
#include "net/error.h"
#include "net/io.h"
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
  EXPECT_EQ(fd.status().message(), "connect unix:/run/vm.sock: No such file or directory");
  EXPECT_EQ(WaitedOf(fd.status()), "still, after 8 attempts in 4s of --wait");
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
                         absl::DataLossError("bad multiplexer reply"),
                         // Whoever knows better says so: a refusal that no
                         // wait will end.
                         WithWaitingHelps(absl::UnavailableError("refused for good"), false)}) {
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

// The final attempt gets only what is left of --wait; when that runs out
// mid-attempt, its "timed out" says less than the error before it.
TEST(RetryUntilTest, ACutShortLastAttemptDoesNotHideTheRealError) {
  struct Case {
    const char* name;
    absl::Duration attempt_limit;
    absl::Status earlier, last;
    const char* want;
  } cases[] = {
      {"cut_short", absl::Seconds(10),
       absl::NotFoundError("machine late is not known to systemd-machined"),
       absl::DeadlineExceededError("varlink: no reply in time"),
       "machine late is not known to systemd-machined (still, after 2 attempts in 1s of --wait)"},
      {"every_attempt_timed_out", absl::Seconds(10),
       absl::DeadlineExceededError("connect unix:/x: timed out"),
       absl::DeadlineExceededError("connect unix:/x: timed out"),
       "connect unix:/x: timed out (still, after 2 attempts in 1s of --wait)"},
      {"not_cut_short", absl::Milliseconds(1),
       absl::UnavailableError("connect unix:/x: Connection refused"),
       absl::DeadlineExceededError("connect unix:/x: timed out"),
       "connect unix:/x: timed out (still, after 2 attempts in 1s of --wait)"},
      {"last_is_not_a_timeout", absl::Seconds(10),
       absl::NotFoundError("connect unix:/x: No such file or directory"),
       absl::UnavailableError("connect unix:/x: Connection refused"),
       "connect unix:/x: Connection refused (still, after 2 attempts in 1s of --wait)"},
      // The hint and the other fields pass through as they are: the
      // summary is a field beside them, rendered at the edge (cli/render.h).
      {"fields_kept", absl::Seconds(10), absl::OkStatus(),
       WithHint(absl::UnavailableError("qemu domain 'a; b' at u is shut off"), "start it"),
       "qemu domain 'a; b' at u is shut off (still, after 2 attempts in 1s of --wait)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSyscalls sys;
    ExpectSleep(sys, 800);  // inside the first attempt
    ExpectSleep(sys, 100);  // the pause
    ExpectSleep(sys, 100);  // inside the second attempt, to the deadline
    int attempts = 0;
    absl::StatusOr<UniqueFd> fd = RetryUntil(
        sys, absl::Seconds(1), c.attempt_limit,
        [&](absl::Duration limit) -> absl::StatusOr<UniqueFd> {
          if (++attempts == 1) {
            SleepFor(sys, absl::Milliseconds(800));
            return c.earlier.ok() ? c.last : c.earlier;  // OK: the same twice
          }
          EXPECT_EQ(limit, std::min(absl::Milliseconds(100), c.attempt_limit));
          SleepFor(sys, absl::Milliseconds(100));
          return c.last;
        });
    EXPECT_EQ(absl::StrCat(fd.status().message(), " (", WaitedOf(fd.status()), ")"), c.want);
    EXPECT_EQ(HintOf(fd.status()), HintOf(c.last));
  }
}

TEST(RetryUntilTest, WaitZeroIsOneAttemptBoundedByTheConnectTimeout) {
  FakeSyscalls sys;  // no sleep may happen
  int attempts = 0;
  absl::StatusOr<UniqueFd> fd = RetryUntil(
      sys, absl::ZeroDuration(), absl::Seconds(10),
      [&](absl::Duration limit) -> absl::StatusOr<UniqueFd> {
        ++attempts;
        EXPECT_EQ(limit, absl::Seconds(10));
        return absl::DeadlineExceededError("connect unix:/x: timed out");
      });
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(fd.status().message(), "connect unix:/x: timed out");
}

}  // namespace
}  // namespace sshproxy::net
