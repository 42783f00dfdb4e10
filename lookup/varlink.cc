// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/varlink.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <utility>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/error.h"
#include "net/io.h"

namespace sshproxy::lookup {

absl::StatusOr<std::string> VarlinkCall(net::Syscalls& sys, int fd,
                                        absl::string_view request,
                                        absl::Time deadline,
                                        absl::string_view what) {
  std::string message(request);
  message.push_back('\0');
  if (absl::Status s = net::WriteAll(sys, fd, message, deadline); !s.ok()) {
    return net::Reworded(s, absl::StrCat(what, ": sending the call: ", s.message()));
  }
  absl::StatusOr<net::BoundedRead> reply = net::ReadBounded(
      sys, fd, deadline, {kMaxVarlinkReply, '\0', "reading the reply"}, what);
  if (!reply.ok()) return reply.status();
  switch (reply->end) {
    case net::BoundedRead::End::kStop:
      return std::move(reply->data);
    case net::BoundedRead::End::kTimedOut:
      return absl::DeadlineExceededError(absl::StrCat(what, ": no reply in time"));
    case net::BoundedRead::End::kTooLong:
      return absl::DataLossError(
          absl::StrCat(what, ": reply larger than ", kMaxVarlinkReply, " bytes"));
    case net::BoundedRead::End::kEof:
      break;
  }
  return absl::DataLossError(absl::StrCat(
      what, reply->data.empty() ? ": closed without a reply"
                                : ": reply ended without its NUL terminator"));
}

}  // namespace sshproxy::lookup
