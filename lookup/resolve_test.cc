// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/resolve.h"

#include <fcntl.h>
#include <poll.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/error.h"
#include "lookup/testing/fake_process.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::lookup {
namespace {

const Settings kSettings = {"/run/ssh-unix-local/socket", "", "/run", ""};

parser::Target Parse(const char* host, const char* port = "22") {
  absl::StatusOr<parser::Target> t = parser::ParseTarget(host, port);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

// Targets that name their address are resolved without a system call (the
// fake aborts on any).
TEST(ResolveTest, GivenAddressesAreTyped) {
  FakeProcessSyscalls sys;
  struct Case {
    const char* host;
    Address want;
    Origin origin;
    const char* description;
  } cases[] = {
      {"unix/run/vm.sock", UnixAddress{"/run/vm.sock"}, Origin::kGiven, "unix /run/vm.sock"},
      {"vsock/0x10", VsockAddress{16, 22}, Origin::kGiven, "vsock cid=16 port=22"},
      {"vsock-mux/run/fc.sock", MuxAddress{"/run/fc.sock", 22}, Origin::kGiven,
       "vsock-mux /run/fc.sock port=22"},
      {".host", UnixAddress{"/run/ssh-unix-local/socket"}, Origin::kLocalHost,
       "local host /run/ssh-unix-local/socket"},
      {"machine/.host", UnixAddress{"/run/ssh-unix-local/socket"}, Origin::kLocalHost,
       "local host /run/ssh-unix-local/socket"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.host);
    absl::StatusOr<Resolved> r = Resolve(sys, Parse(c.host), kSettings, absl::Seconds(1));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->address.index(), c.want.index());
    EXPECT_EQ(DescribeAddress(r->address), DescribeAddress(c.want));
    EXPECT_EQ(r->origin, c.origin);
    EXPECT_EQ(r->description, c.description);
  }
}

// machined's answer on fd 3, for the system scope only.
void ExpectMachined(FakeProcessSyscalls& sys, const std::string& reply) {
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").OnFd(3);
  sys.Expect("fcntl").OnFd(3).Returns(O_RDWR | O_NONBLOCK);
  sys.Expect("fcntl").OnFd(3);
  sys.Expect("write").OnFd(3);
  sys.Expect("poll").OnFd(3).Revents(POLLIN);
  sys.Expect("read").OnFd(3).Data(reply + std::string("\0", 1));
  sys.Expect("close").OnFd(3);
}

TEST(ResolveTest, MachinesBecomeVsockTcpOrTheNspawnSocket) {
  struct Case {
    const char* reply;
    const char* description;
    Origin origin;
  } cases[] = {
      {R"({"parameters":{"class":"vm","vSockCid":9,"sshAddress":"10.0.0.5"}})",
       "machine m (system scope, class vm): vsock cid=9 port=22", Origin::kMachine},
      {R"({"parameters":{"class":"vm","sshAddress":"fe80::1%eth0"}})",
       "machine m (system scope, class vm): tcp fe80::1%eth0 port=22", Origin::kMachine},
      {R"({"parameters":{"class":"container","service":"systemd-nspawn"}})",
       "machine m (system scope, class container, service systemd-nspawn): unix "
       "/run/systemd/nspawn/unix-export/m/ssh",
       Origin::kNspawn},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reply);
    FakeProcessSyscalls sys;
    ExpectMachined(sys, c.reply);
    absl::StatusOr<Resolved> r = Resolve(sys, Parse("machine/m"), kSettings, absl::Seconds(1));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->description, c.description);
    EXPECT_EQ(r->origin, c.origin);
  }
}

TEST(ResolveTest, TcpPortOutOfRangeIsTheCallersMistake) {
  FakeProcessSyscalls sys;
  ExpectMachined(sys, R"({"parameters":{"class":"vm","sshAddress":"10.0.0.5"}})");
  absl::StatusOr<Resolved> r =
      Resolve(sys, Parse("machine/m", "70000"), kSettings, absl::Seconds(1));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(net::ReasonOf(r.status()), net::Reason::kBadInput);
}

TEST(ResolveTest, NoCidNoAddressSaysWhatToDoAsAHint) {
  FakeProcessSyscalls sys;
  ExpectMachined(sys, R"({"parameters":{"class":"vm"}})");
  absl::StatusOr<Resolved> r = Resolve(sys, Parse("machine/m"), kSettings, absl::Seconds(1));
  EXPECT_EQ(r.status().message(), "machine m has no AF_VSOCK CID and no SSH address");
  EXPECT_EQ(net::HintOf(r.status()),
            "give the VM a vsock device (systemd-vmspawn does), or ssh to its address");
}

TEST(CheckLibvirtUriTest, OnlyLocalUrisPass) {
  EXPECT_TRUE(CheckLibvirtUri("", "V").ok());
  EXPECT_TRUE(CheckLibvirtUri("qemu:///system", "V").ok());
  absl::Status s = CheckLibvirtUri("qemu+ssh://other/system", "V");
  EXPECT_EQ(net::ReasonOf(s), net::Reason::kBadInput);
  EXPECT_THAT(std::string(s.message()),
              ::testing::StartsWith("V=qemu+ssh://other/system is not a libvirt on this "
                                    "machine"));
}

}  // namespace
}  // namespace sshproxy::lookup
