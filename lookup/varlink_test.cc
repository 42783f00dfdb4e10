// Copyright 2026 The ssh-socket-proxy Authors.
//
// The Varlink call's fault matrix (net/testing/fault_table.h): each system
// call failing in each way it can, one line every time, nothing left open.

#include "lookup/varlink.h"

#include <errno.h>
#include <poll.h>

#include <string>

#include "gtest/gtest.h"
#include "net/testing/fake_syscalls.h"
#include "net/testing/fault_table.h"

namespace sshproxy::lookup {
namespace {

using net::FakeSyscalls;
using net::Row;
using net::RunTable;

constexpr char kCall[] = R"({"method":"io.systemd.Machine.List"})";

const Row kVarlink[] = {
    {"write_epipe", [](FakeSyscalls& s) { s.Expect("write").Fails(EPIPE); },
     absl::StatusCode::kFailedPrecondition, "m: sending the call: write: Broken pipe"},
    {"write_short_and_eintr",
     [](FakeSyscalls& s) {
       s.Expect("write").Returns(10);
       s.Expect("write").Fails(EINTR);
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Data(std::string("{}\0", 3));
     },
     absl::StatusCode::kOk, nullptr},
    {"poll_eintr",
     [](FakeSyscalls& s) {
       s.Expect("write");
       s.Expect("poll").Fails(EINTR);
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Fails(EAGAIN);
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Fails(EINTR);
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Data(std::string("{}\0", 3));
     },
     absl::StatusCode::kOk, nullptr},
    {"poll_fails",
     [](FakeSyscalls& s) {
       s.Expect("write");
       s.Expect("poll").Fails(EINVAL);
     },
     absl::StatusCode::kInvalidArgument, "m: poll: Invalid argument"},
    {"no_reply_in_time",
     [](FakeSyscalls& s) {
       s.Expect("write");
       s.Expect("poll").Returns(0).Elapses(absl::Seconds(5));
     },
     absl::StatusCode::kDeadlineExceeded, "m: no reply in time"},
    {"recv_reset",
     [](FakeSyscalls& s) {
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Fails(ECONNRESET);
     },
     absl::StatusCode::kUnavailable, "m: reading the reply: Connection reset by peer"},
    {"reply_in_pieces",
     [](FakeSyscalls& s) {
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Data("{");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Data(std::string("}\0", 2));
     },
     absl::StatusCode::kOk, nullptr},
    {"eof_midway",
     [](FakeSyscalls& s) {
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Data("{");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("read").Returns(0);
     },
     absl::StatusCode::kDataLoss, "m: reply ended without its NUL terminator"},
};

TEST(FaultTest, VarlinkCall) {
  RunTable(kVarlink, [](FakeSyscalls& sys) {
    return VarlinkCall(sys, 3, kCall, sys.Now() + absl::Seconds(5), "m").status();
  });
}

}  // namespace
}  // namespace sshproxy::lookup
