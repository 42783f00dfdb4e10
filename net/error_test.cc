// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/error.h"

#include <errno.h>

#include "gtest/gtest.h"

namespace sshproxy::net {
namespace {

TEST(ErrorTest, FieldsTravelBesideTheMessage) {
  absl::Status s = SyscallError(EAFNOSUPPORT, "socket(AF_VSOCK) for connect vsock:3:22");
  EXPECT_EQ(s.message(),
            "socket(AF_VSOCK) for connect vsock:3:22: Address family not supported by protocol");
  EXPECT_EQ(ErrnoOf(s), EAFNOSUPPORT);
  EXPECT_EQ(ReasonOf(s), Reason::kNone);
  s = WithHint(WithReason(s, Reason::kSocketCreate), "load vhost_vsock");
  s = WithWaited(s, "still, after 2 attempts in 1s of --wait");
  EXPECT_EQ(ReasonOf(s), Reason::kSocketCreate);
  EXPECT_EQ(HintOf(s), "load vhost_vsock");
  EXPECT_EQ(WaitedOf(s), "still, after 2 attempts in 1s of --wait");
  // Rewording keeps the code and every field.
  absl::Status r = Reworded(s, "other words");
  EXPECT_EQ(r.code(), s.code());
  EXPECT_EQ(r.message(), "other words");
  EXPECT_EQ(ErrnoOf(r), EAFNOSUPPORT);
  EXPECT_EQ(HintOf(r), "load vhost_vsock");
  EXPECT_EQ(ReasonOf(r), Reason::kSocketCreate);
  // Recoding keeps the message and every field.
  absl::Status c = Recoded(s, absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.message(), s.message());
  EXPECT_EQ(ErrnoOf(c), EAFNOSUPPORT);
  EXPECT_EQ(WaitedOf(c), "still, after 2 attempts in 1s of --wait");
}

TEST(ErrorTest, UnsetFieldsAndOk) {
  const absl::Status plain = absl::NotFoundError("x");
  EXPECT_EQ(ErrnoOf(plain), 0);
  EXPECT_EQ(HintOf(plain), "");
  EXPECT_EQ(WaitedOf(plain), "");
  EXPECT_TRUE(WithHint(absl::OkStatus(), "h").ok());
  EXPECT_EQ(HintOf(WithHint(absl::OkStatus(), "h")), "");
  // An empty hint sets nothing.
  EXPECT_EQ(WithHint(plain, ""), plain);
}

TEST(ErrorTest, WaitingHelpsByCodeUnlessSaid) {
  EXPECT_TRUE(WaitingHelps(absl::NotFoundError("x")));
  EXPECT_TRUE(WaitingHelps(absl::UnavailableError("x")));
  EXPECT_TRUE(WaitingHelps(absl::DeadlineExceededError("x")));
  EXPECT_FALSE(WaitingHelps(absl::PermissionDeniedError("x")));
  EXPECT_FALSE(WaitingHelps(absl::FailedPreconditionError("x")));
  EXPECT_FALSE(WaitingHelps(WithWaitingHelps(absl::NotFoundError("x"), false)));
  EXPECT_TRUE(WaitingHelps(WithWaitingHelps(absl::FailedPreconditionError("x"), true)));
}

}  // namespace
}  // namespace sshproxy::net
