// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/machine.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <poll.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/error.h"
#include "net/testing/fake_peer.h"
#include "net/testing/fake_syscalls.h"
#include "lookup/varlink.h"

namespace sshproxy::lookup {
namespace {

using ::testing::HasSubstr;

TEST(DecodeMachineReplyTest, Records) {
  absl::StatusOr<MachineRecord> r = DecodeMachineReply(
      R"({"parameters":{"name":"fedora","id":"a1","class":"vm","service":"systemd-vmspawn",)"
      R"("leader":123,"vSockCid":4711,"sshAddress":"192.0.2.7","unknownField":[1,2]}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->machine_class, "vm");
  EXPECT_EQ(r->service, "systemd-vmspawn");
  EXPECT_EQ(r->vsock_cid, 4711u);
  EXPECT_EQ(r->ssh_address, "192.0.2.7");

  r = DecodeMachineReply(R"({"parameters":{"class":"container","service":"systemd-nspawn"}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->machine_class, "container");
  EXPECT_FALSE(r->vsock_cid.has_value());
  EXPECT_FALSE(r->ssh_address.has_value());
}

TEST(DecodeMachineReplyTest, Errors) {
  struct Case {
    const char* reply;
    absl::StatusCode code;
    const char* words;
  } cases[] = {
      {R"({"error":"io.systemd.Machine.NoSuchMachine","parameters":{}})",
       absl::StatusCode::kNotFound, "NoSuchMachine"},
      {R"({"error":"org.varlink.service.MethodNotFound","parameters":{}})",
       absl::StatusCode::kFailedPrecondition,
       "machined answered org.varlink.service.MethodNotFound"},
      {R"({"error":7})", absl::StatusCode::kDataLoss, "\"error\" is not a string"},
      {"{\"parameters\":", absl::StatusCode::kDataLoss, "not a JSON object"},
      {"", absl::StatusCode::kDataLoss, "not a JSON object"},
      {"[1]", absl::StatusCode::kDataLoss, "not a JSON object"},
      {"{\"parameters\":{}} trailing", absl::StatusCode::kDataLoss, "not a JSON object"},
      {R"({"continues":true})", absl::StatusCode::kDataLoss, "no \"parameters\" object"},
      {R"({"parameters":[]})", absl::StatusCode::kDataLoss, "no \"parameters\" object"},
      {R"({"parameters":{"class":1}})", absl::StatusCode::kDataLoss, "\"class\" is not a string"},
      {R"({"parameters":{"service":{}}})", absl::StatusCode::kDataLoss, "\"service\" is not a string"},
      {R"({"parameters":{"sshAddress":5}})", absl::StatusCode::kDataLoss, "\"sshAddress\" is not a string"},
      {R"({"parameters":{"vSockCid":"3"}})", absl::StatusCode::kDataLoss, "\"vSockCid\" is not a CID"},
      {R"({"parameters":{"vSockCid":-1}})", absl::StatusCode::kDataLoss, "\"vSockCid\" is not a CID"},
      {R"({"parameters":{"vSockCid":3.5}})", absl::StatusCode::kDataLoss, "\"vSockCid\" is not a CID"},
      {R"({"parameters":{"vSockCid":4294967295}})", absl::StatusCode::kDataLoss, "is not a CID"},
      {"{\"parameters\":{\"class\":\"\xff\"}}", absl::StatusCode::kDataLoss, "not a JSON object"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reply);
    absl::StatusOr<MachineRecord> r = DecodeMachineReply(c.reply);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), c.code) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.words));
  }
}

constexpr char kCall[] = R"({"method":"io.systemd.Machine.List","parameters":{"name":"x"}})";

TEST(VarlinkCallTest, ReplyInPieces) {
  net::FakePeer peer;
  peer.Arrive("{\"parameters\"").Silence(absl::Milliseconds(3)).Arrive(":{}}");
  peer.Arrive(std::string("\0", 1)).Silence(absl::Hours(1));
  absl::StatusOr<std::string> r =
      VarlinkCall(peer, net::FakePeer::kFd, kCall, peer.Now() + absl::Seconds(5), "m");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "{\"parameters\":{}}");
  EXPECT_EQ(peer.written(), std::string(kCall) + std::string("\0", 1));
}

TEST(VarlinkCallTest, Failures) {
  {
    net::FakePeer peer;
    peer.Arrive("{\"parameters\":{}}").Eof();
    absl::StatusOr<std::string> r =
        VarlinkCall(peer, net::FakePeer::kFd, kCall, peer.Now() + absl::Seconds(5), "m");
    EXPECT_EQ(r.status().message(), "m: reply ended without its NUL terminator");
  }
  {
    net::FakePeer peer;
    peer.Eof();
    absl::StatusOr<std::string> r =
        VarlinkCall(peer, net::FakePeer::kFd, kCall, peer.Now() + absl::Seconds(5), "m");
    EXPECT_EQ(r.status().message(), "m: closed without a reply");
  }
  {
    net::FakePeer peer;
    peer.Arrive("{").Silence(absl::Seconds(10));
    absl::StatusOr<std::string> r =
        VarlinkCall(peer, net::FakePeer::kFd, kCall, peer.Now() + absl::Seconds(5), "m");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_EQ(peer.elapsed(), absl::Seconds(5));
  }
  {
    net::FakePeer peer;
    for (int i = 0; i < 70; ++i) peer.Arrive(std::string(16384, ' '));
    peer.Silence(absl::Hours(1));
    absl::StatusOr<std::string> r =
        VarlinkCall(peer, net::FakePeer::kFd, kCall, peer.Now() + absl::Seconds(5), "m");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("reply larger than 1048576 bytes"));
  }
}

TEST(VarlinkCallTest, SendFailure) {
  net::FakeSyscalls sys;
  sys.Expect("write").OnFd(3).Fails(EPIPE);
  absl::StatusOr<std::string> r =
      VarlinkCall(sys, 3, kCall, sys.Now() + absl::Seconds(5), "m");
  EXPECT_EQ(r.status().message(), "m: sending the call: write: Broken pipe");
}

// A machined that answers `reply` on fd `fd`.
void ExpectCall(net::FakeSyscalls& sys, int fd, const std::string& reply) {
  sys.Expect("socket").Returns(fd);
  sys.Expect("connect").OnFd(fd);
  sys.Expect("fcntl").OnFd(fd).Returns(O_RDWR | O_NONBLOCK);  // the bounded
  sys.Expect("fcntl").OnFd(fd);                               // connect's cleanup
  sys.Expect("write").OnFd(fd);
  sys.Expect("poll").OnFd(fd).Revents(POLLIN);
  sys.Expect("read").OnFd(fd).Data(reply + std::string("\0", 1));
  sys.Expect("close").OnFd(fd);
}

const MachineScopes kScopes = {"/run/user/1000", "/run"};
constexpr char kNoSuch[] = R"({"error":"io.systemd.Machine.NoSuchMachine","parameters":{}})";

TEST(LookupMachineTest, UserScopeFirst) {
  net::FakeSyscalls sys;
  ExpectCall(sys, 3, R"({"parameters":{"class":"vm","vSockCid":9}})");
  absl::StatusOr<MachineLookup> r = LookupMachine(sys, "fedora", kScopes, absl::Seconds(5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scope, "user");
  EXPECT_EQ(r->runtime_dir, "/run/user/1000");
  EXPECT_EQ(sys.log()[1], "connect(3, unix:/run/user/1000/systemd/machine/io.systemd.Machine)");
  EXPECT_EQ(sys.log()[4],
            "write(3, \"{\\\"method\\\":\\\"io.systemd.Machine.List\\\",\\\"parameters\\\":"
            "{\\\"name\\\":\\\"fedora\\\"}}\\000\")");
}

TEST(LookupMachineTest, FallsBackWhenTheUserScopeDoesNotKnowIt) {
  net::FakeSyscalls sys;
  ExpectCall(sys, 3, kNoSuch);
  ExpectCall(sys, 4, R"({"parameters":{"class":"container","service":"systemd-nspawn"}})");
  absl::StatusOr<MachineLookup> r = LookupMachine(sys, "debian", kScopes, absl::Seconds(5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->scope, "system");
  EXPECT_EQ(NspawnSshSocket(r->runtime_dir, "debian"),
            "/run/systemd/nspawn/unix-export/debian/ssh");
}

TEST(LookupMachineTest, FallsBackWhenTheUserSocketIsMissingOrRefuses) {
  for (int error : {ENOENT, ECONNREFUSED}) {
    net::FakeSyscalls sys;
    sys.Expect("socket").Returns(3);
    sys.Expect("connect").Fails(error);
    sys.Expect("close");
    if (error == ECONNREFUSED) {  // a stale socket, not some other file
      sys.Expect("open").Returns(5);
      sys.Expect("fstat").OnFd(5).Mode(S_IFSOCK | 0777);
      sys.Expect("close").OnFd(5);
    }
    ExpectCall(sys, 4, R"({"parameters":{"class":"vm","vSockCid":9}})");
    absl::StatusOr<MachineLookup> r = LookupMachine(sys, "f", kScopes, absl::Seconds(5));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->scope, "system");
  }
}

TEST(LookupMachineTest, PermissionDeniedStopsInsteadOfFallingBack) {
  net::FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(EACCES);
  sys.Expect("close");
  absl::StatusOr<MachineLookup> r = LookupMachine(sys, "f", kScopes, absl::Seconds(5));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("/run/user/1000/systemd/machine/io.systemd.Machine: Permission denied"));
}

TEST(LookupMachineTest, NoMachinedAtAll) {
  net::FakeSyscalls sys;
  for (int fd : {3, 4}) {
    sys.Expect("socket").Returns(fd);
    sys.Expect("connect").Fails(ENOENT);
    sys.Expect("close");
  }
  absl::StatusOr<MachineLookup> r = LookupMachine(sys, "f", kScopes, absl::Seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("no systemd-machined to ask about machine f: "
                        "/run/user/1000/systemd/machine/io.systemd.Machine is not there; "
                        "/run/systemd/machine/io.systemd.Machine is not there"));
  EXPECT_EQ(net::HintOf(r.status()),
            "is systemd-machined running? (systemctl status systemd-machined)");
}

// A socket file with no machined behind it: a machined that stopped. Saying
// "not there" would send the user looking for a file that is there.
TEST(LookupMachineTest, RefusingSocketIsNotCalledMissing) {
  net::FakeSyscalls sys;
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").Fails(ENOENT);
  sys.Expect("close");
  sys.Expect("socket").Returns(4);
  sys.Expect("connect").Fails(ECONNREFUSED);
  sys.Expect("close");
  sys.Expect("open").Returns(5);
  sys.Expect("fstat").OnFd(5).Mode(S_IFSOCK | 0777);
  sys.Expect("close").OnFd(5);
  absl::StatusOr<MachineLookup> r = LookupMachine(sys, "f", kScopes, absl::Seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(),
            "no systemd-machined to ask about machine f: "
            "/run/user/1000/systemd/machine/io.systemd.Machine is not there; "
            "/run/systemd/machine/io.systemd.Machine refuses connections (connect "
            "unix:/run/systemd/machine/io.systemd.Machine: Connection refused)");
  EXPECT_EQ(net::HintOf(r.status()),
            "systemd-machined is not running (its socket file is left): start it "
            "(systemctl start systemd-machined; systemctl status systemd-machined says "
            "why it stopped)");
}

TEST(LookupMachineTest, KnownNowhere) {
  net::FakeSyscalls sys;
  ExpectCall(sys, 3, kNoSuch);
  ExpectCall(sys, 4, kNoSuch);
  absl::StatusOr<MachineLookup> r = LookupMachine(sys, "ghost", kScopes, absl::Seconds(5));
  EXPECT_EQ(r.status().message(),
            "machine ghost is not known to systemd-machined (asked the user and "
            "system scopes; machinectl list shows what is registered)");
}

TEST(LookupMachineTest, WithoutAUserScope) {
  net::FakeSyscalls sys;
  ExpectCall(sys, 3, kNoSuch);
  absl::StatusOr<MachineLookup> r =
      LookupMachine(sys, "ghost", MachineScopes{"", "/run"}, absl::Seconds(5));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("(asked the system scope;"));
}

TEST(LookupMachineTest, BadReplyStops) {
  net::FakeSyscalls sys;
  ExpectCall(sys, 3, R"({"parameters":{"vSockCid":"x"}})");
  absl::StatusOr<MachineLookup> r = LookupMachine(sys, "f", kScopes, absl::Seconds(5));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("machined (user) /run/user/1000/systemd/machine/io.systemd.Machine: "
                        "machined reply: \"vSockCid\" is not a CID"));
}

}  // namespace
}  // namespace sshproxy::lookup
