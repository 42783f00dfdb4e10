// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/mux.h"

#include <errno.h>
#include <poll.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/fake_peer.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(5);
constexpr char kBanner[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";

struct ReplyCase {
  std::string name;
  std::string reply;       // what the multiplexer sends first, split every way
  std::string then;        // sent after it, in one piece
  enum End { kOpen, kEof, kReset, kQuiet } end;  // after that: nothing / EOF / RST / 6s of silence
  absl::StatusCode code;   // kOk for success
  MuxReply::Kind kind;
  uint32_t host_port;
  std::string words;       // in the error message
};

std::vector<ReplyCase> Cases() {
  using K = MuxReply::Kind;
  const auto ok = absl::StatusCode::kOk;
  const auto unavailable = absl::StatusCode::kUnavailable;
  const auto data_loss = absl::StatusCode::kDataLoss;
  return {
      {"firecracker", "OK 1073741824\n", kBanner, ReplyCase::kOpen, ok, K::kOk, 1073741824u, ""},
      {"max_port", "OK 4294967295\n", kBanner, ReplyCase::kOpen, ok, K::kOk, 4294967295u, ""},
      {"port_0", "OK 0\n", "", ReplyCase::kOpen, ok, K::kOk, 0, ""},
      {"ok_then_eof", "OK 1024\n", "", ReplyCase::kEof, ok, K::kOk, 1024, ""},
      {"no_ok_banner", kBanner, "", ReplyCase::kOpen, ok, K::kNoOkLine, 0, ""},
      {"no_ok_o_then_other", "OX", kBanner, ReplyCase::kOpen, ok, K::kNoOkLine, 0, ""},
      {"no_ok_okay", "OKAY\n", "", ReplyCase::kOpen, ok, K::kNoOkLine, 0, ""},
      {"no_ok_lowercase", "ok 1\n", "", ReplyCase::kOpen, ok, K::kNoOkLine, 0, ""},
      {"closed", "", "", ReplyCase::kEof, unavailable, K::kOk, 0, "port 22 on /run/fc.sock is not open"},
      {"reset", "", "", ReplyCase::kReset, unavailable, K::kOk, 0, "is not open"},
      {"partial_then_eof", "OK 12", "", ReplyCase::kEof, data_loss, K::kOk, 0, "\"OK 12\": then the connection closed"},
      {"partial_then_reset", "OK", "", ReplyCase::kReset, data_loss, K::kOk, 0, "\"OK\": then the connection closed"},
      {"garbage_port", "OK x\n", "", ReplyCase::kOpen, data_loss, K::kOk, 0, "expected \"OK <port>\\n\""},
      {"no_port", "OK \n", "", ReplyCase::kOpen, data_loss, K::kOk, 0, "no port"},
      {"crlf", "OK 1\r\n", "", ReplyCase::kOpen, data_loss, K::kOk, 0, "expected"},
      {"out_of_range", "OK 4294967296\n", "", ReplyCase::kOpen, data_loss, K::kOk, 0, "port out of range"},
      {"out_of_range_11_digits", "OK 99999999999\n", "", ReplyCase::kOpen, data_loss, K::kOk, 0, "port out of range"},
      {"out_of_range_no_newline_yet", "OK 5000000000", "", ReplyCase::kQuiet, data_loss, K::kOk, 0, "\"OK 5000000000\": port out of range"},
      {"too_long", "OK 00000000001\n", "", ReplyCase::kOpen, data_loss, K::kOk, 0, "line too long"},
      {"stall_mid_line", "OK 10", "", ReplyCase::kQuiet, data_loss, K::kOk, 0, "nothing more within 5s"},
      {"stall_after_o", "O", "", ReplyCase::kQuiet, data_loss, K::kOk, 0, "\"O\": nothing more"},
  };
}

// Every way of cutting the first 15 bytes of `s` (one more than the longest
// OK line) into non-empty pieces, the rest of `s` staying with the last.
std::vector<std::vector<std::string>> Splits(const std::string& s) {
  std::vector<std::vector<std::string>> out;
  if (s.empty()) return {{}};
  const size_t n = std::min<size_t>(s.size(), kMaxMuxReply + 1);
  for (uint32_t mask = 0; mask < (1u << (n - 1)); ++mask) {
    std::vector<std::string> pieces;
    size_t start = 0;
    for (size_t i = 1; i < n; ++i) {
      if (mask & (1u << (i - 1))) {
        pieces.push_back(s.substr(start, i - start));
        start = i;
      }
    }
    pieces.push_back(s.substr(start));
    out.push_back(std::move(pieces));
  }
  return out;
}

TEST(ReadMuxReplyTest, EveryReplySplitEveryWay) {
  size_t runs = 0;
  for (const ReplyCase& c : Cases()) {
    for (const std::vector<std::string>& pieces : Splits(c.reply)) {
      SCOPED_TRACE(absl::StrCat(c.name, " in ", pieces.size(), " pieces, first \"",
                                absl::CEscape(pieces.empty() ? "" : pieces[0]), "\""));
      FakePeer peer;
      for (const std::string& p : pieces) peer.Arrive(p).Silence(absl::Milliseconds(1));
      if (!c.then.empty()) peer.Arrive(c.then);
      switch (c.end) {
        case ReplyCase::kOpen: peer.Silence(absl::Hours(1)); break;
        case ReplyCase::kEof: peer.Eof(); break;
        case ReplyCase::kReset: peer.Reset(); break;
        case ReplyCase::kQuiet: peer.Silence(absl::Seconds(6)); break;
      }
      absl::StatusOr<MuxReply> r =
          ReadMuxReply(peer, FakePeer::kFd, kTimeout, "port 22 on /run/fc.sock");
      ++runs;
      ASSERT_EQ(r.status().code(), c.code) << r.status();
      EXPECT_LE(peer.max_recv_len(), kMaxMuxReply);
      EXPECT_LE(peer.elapsed(), kTimeout + absl::Milliseconds(100));
      if (!r.ok()) {
        EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.words));
        EXPECT_EQ(std::string(r.status().message()).find('\n'), std::string::npos);
        EXPECT_EQ(peer.consumed(), "");
        continue;
      }
      EXPECT_EQ(r->kind, c.kind);
      if (c.kind == MuxReply::Kind::kOk) {
        EXPECT_EQ(r->host_port, c.host_port);
        EXPECT_EQ(peer.consumed(), c.reply);  // exactly the OK line
        EXPECT_EQ(peer.Unconsumed(), c.then);
      } else {
        EXPECT_EQ(peer.consumed(), "");       // untouched for ssh
        EXPECT_EQ(peer.Unconsumed(), c.reply + c.then);
      }
    }
  }
  EXPECT_GT(runs, 30000u);
}

TEST(ReadMuxReplyTest, SilentMuxIsHandedOverUntouched) {
  FakePeer peer;
  peer.Silence(absl::Seconds(30)).Arrive(kBanner);
  absl::StatusOr<MuxReply> r = ReadMuxReply(peer, FakePeer::kFd, kTimeout, "p");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, MuxReply::Kind::kSilent);
  EXPECT_EQ(peer.elapsed(), kTimeout);
  EXPECT_EQ(peer.Unconsumed(), kBanner);
}

TEST(ReadMuxReplyTest, LateButInTime) {
  FakePeer peer;
  peer.Silence(absl::Milliseconds(4999)).Arrive("OK 1073741825\n").Arrive(kBanner);
  absl::StatusOr<MuxReply> r = ReadMuxReply(peer, FakePeer::kFd, kTimeout, "p");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, MuxReply::Kind::kOk);
  EXPECT_EQ(r->host_port, 1073741825u);
}

TEST(ConnectVsockMuxTest, SendsTheParsedPortAndConsumesTheOkLine) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect");
  sys.Expect("write").OnFd(3).Returns(4);  // a short write
  sys.Expect("write").Fails(EINTR);
  sys.Expect("write").Fails(EAGAIN);
  sys.Expect("poll").Revents(POLLOUT);
  sys.Expect("write").OnFd(3);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("recv").Data("OK 1073741824\nSSH-2.0-");
  sys.Expect("recv").Data("OK 1073741824\n");
  MuxReply reply;
  absl::StatusOr<UniqueFd> fd = ConnectVsockMux(sys, "/run/fc.sock", 22, {}, kTimeout, &reply);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(reply.host_port, 1073741824u);
  EXPECT_THAT(sys.log(),
              ElementsAre("socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)",
                          "connect(3, unix:/run/fc.sock)", "write(3, \"CONNECT 22\\n\")",
                          "write(3, \"ECT 22\\n\")", "write(3, \"ECT 22\\n\")",
                          "poll([3 out], -1)", "write(3, \"ECT 22\\n\")",
                          "poll([3 in], 5000)", "recv(3, 14, MSG_PEEK, MSG_DONTWAIT)",
                          "recv(3, 14)"));
  sys.Expect("close");
}

TEST(ConnectVsockMuxTest, ClosedPortClosesTheSocket) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect");
  sys.Expect("write");
  sys.Expect("poll").Revents(POLLIN | POLLHUP);
  sys.Expect("recv").Returns(0);
  sys.Expect("close").OnFd(3);
  absl::StatusOr<UniqueFd> fd = ConnectVsockMux(sys, "/run/fc.sock", 2222, {}, kTimeout);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fd.status().message(),
            "port 2222 on /run/fc.sock is not open: the multiplexer closed the "
            "connection without a reply");
}

TEST(ConnectVsockMuxTest, MuxGoneBeforeConnect) {
  FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect");
  sys.Expect("write").Fails(EPIPE);
  sys.Expect("close");
  absl::StatusOr<UniqueFd> fd = ConnectVsockMux(sys, "/run/fc.sock", 22, {}, kTimeout);
  ASSERT_FALSE(fd.ok());
  EXPECT_THAT(std::string(fd.status().message()),
              HasSubstr("port 22 on /run/fc.sock: sending CONNECT: write: Broken pipe"));
}

}  // namespace
}  // namespace sshproxy::net
