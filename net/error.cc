// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/error.h"

#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sshproxy::net {
namespace {

constexpr absl::string_view kErrno = "type.ssh-socket-proxy/errno";
constexpr absl::string_view kReason = "type.ssh-socket-proxy/reason";
constexpr absl::string_view kHint = "type.ssh-socket-proxy/hint";
constexpr absl::string_view kWaited = "type.ssh-socket-proxy/waited";
constexpr absl::string_view kWaitingHelps = "type.ssh-socket-proxy/waiting-helps";

absl::Status With(absl::Status status, absl::string_view field, absl::string_view value) {
  if (!status.ok()) status.SetPayload(field, absl::Cord(value));
  return status;
}

std::string TextOf(const absl::Status& status, absl::string_view field) {
  auto value = status.GetPayload(field);
  return value.has_value() ? std::string(*value) : std::string();
}

int IntOf(const absl::Status& status, absl::string_view field) {
  int value = 0;
  return absl::SimpleAtoi(TextOf(status, field), &value) ? value : 0;
}

// `out` with every field of `from`.
absl::Status WithFieldsOf(const absl::Status& from, absl::Status out) {
  from.ForEachPayload([&out](absl::string_view field, const absl::Cord& value) {
    out.SetPayload(field, value);
  });
  return out;
}

}  // namespace

absl::Status SyscallError(int error, absl::string_view what) {
  return WithErrno(absl::ErrnoToStatus(error, what), error);
}

absl::Status Reworded(const absl::Status& status, absl::string_view message) {
  return WithFieldsOf(status, absl::Status(status.code(), message));
}

absl::Status Recoded(const absl::Status& status, absl::StatusCode code) {
  return WithFieldsOf(status, absl::Status(code, status.message()));
}

absl::Status WithErrno(absl::Status status, int error) {
  return With(std::move(status), kErrno, absl::StrCat(error));
}
int ErrnoOf(const absl::Status& status) { return IntOf(status, kErrno); }

absl::Status WithReason(absl::Status status, Reason reason) {
  return With(std::move(status), kReason, absl::StrCat(static_cast<int>(reason)));
}
Reason ReasonOf(const absl::Status& status) {
  return static_cast<Reason>(IntOf(status, kReason));
}

absl::Status WithHint(absl::Status status, absl::string_view hint) {
  if (hint.empty()) return status;
  return With(std::move(status), kHint, hint);
}
std::string HintOf(const absl::Status& status) { return TextOf(status, kHint); }

absl::Status WithWaited(absl::Status status, absl::string_view waited) {
  return With(std::move(status), kWaited, waited);
}
std::string WaitedOf(const absl::Status& status) { return TextOf(status, kWaited); }

absl::Status WithWaitingHelps(absl::Status status, bool helps) {
  return With(std::move(status), kWaitingHelps, helps ? "1" : "0");
}

bool WaitingHelps(const absl::Status& status) {
  if (auto v = status.GetPayload(kWaitingHelps)) return *v == "1";
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

}  // namespace sshproxy::net
