// Copyright 2026 The ssh-socket-proxy Authors.
//
// A minimal Varlink client: one call, one reply, over a connected AF_UNIX
// socket. Varlink frames each message as one JSON object followed by a NUL
// byte.

#ifndef SSHPROXY_LOOKUP_VARLINK_H_
#define SSHPROXY_LOOKUP_VARLINK_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/syscalls.h"

namespace sshproxy::lookup {

// Replies larger than this are refused: a machine record is a few hundred
// bytes, and a peer that sends megabytes is not the machined we know.
inline constexpr size_t kMaxVarlinkReply = 1 << 20;

// Sends `request` (a JSON object, without the NUL) on `fd` and returns the
// reply up to, not including, its NUL terminator. Fails with
//   DeadlineExceededError  no complete reply by `deadline`;
//   DataLossError          EOF before the NUL, or a reply over
//                          kMaxVarlinkReply;
//   the errno's code       a failed write or read.
// `what` names the peer in messages ("varlink /run/systemd/machine/...").
absl::StatusOr<std::string> VarlinkCall(net::Syscalls& sys, int fd,
                                        absl::string_view request,
                                        absl::Time deadline,
                                        absl::string_view what);

}  // namespace sshproxy::lookup

#endif  // SSHPROXY_LOOKUP_VARLINK_H_
