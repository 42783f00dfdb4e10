// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using net::FakeSyscalls;

class RunTest : public ::testing::Test {
 protected:
  Options Opts(std::string host, std::string port = "22") {
    Options o;
    o.host = std::move(host);
    o.port = std::move(port);
    o.local_socket = "/run/ssh-unix-local/socket";
    return o;
  }
  Io MakeIo(bool verbose = false) {
    Io io;
    io.print = [this](absl::string_view l) { printed_.emplace_back(l); };
    if (verbose) io.debug = [this](absl::string_view l) { debug_.emplace_back(l); };
    return io;
  }
  // stdout is ssh's AF_UNIX socketpair end.
  void ExpectStdoutIsSocket() {
    sys_.Expect("fstat").OnFd(1).Mode(S_IFSOCK | 0777);
    sys_.Expect("getsockopt").OnFd(1).IntValue(AF_UNIX);
  }

  FakeSyscalls sys_;
  std::vector<std::string> printed_;
  std::vector<std::string> debug_;
};

TEST_F(RunTest, ConnectsHandsOverAndClosesItsCopy) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  sys_.Expect("sendmsg").OnFd(1);
  sys_.Expect("close").OnFd(3);
  absl::Status s = cli::Run(sys_, Opts("unix/run/vm.sock"), MakeIo(/*verbose=*/true));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ExitCode(s), kExitOk);
  EXPECT_THAT(sys_.log(),
              ElementsAre("fstat(1)", "getsockopt(1, SOL_SOCKET, SO_DOMAIN)",
                          "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)",
                          "connect(3, unix:/run/vm.sock)",
                          "sendmsg(1, \"\\000\", fd 3, MSG_NOSIGNAL)", "close(3)"));
  EXPECT_TRUE(sys_.open_fds().empty());
  EXPECT_THAT(debug_, ElementsAre("host unix/run/vm.sock is unix /run/vm.sock",
                                  "mode fdpass",
                                  "connected to unix /run/vm.sock as fd 3",
                                  "handed fd 3 over on fd 1"));
  EXPECT_TRUE(printed_.empty());
}

TEST_F(RunTest, VsockUsesThePort) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect");
  sys_.Expect("sendmsg");
  sys_.Expect("close");
  ASSERT_TRUE(cli::Run(sys_, Opts("vsock%0x1267", "2222"), MakeIo()).ok());
  EXPECT_EQ(sys_.log()[3], "connect(3, vsock:4711:2222)");
}

TEST_F(RunTest, LocalHostUsesTheConfiguredSocket) {
  for (const char* host : {".host", "machine/.host", "machine%.host"}) {
    FakeSyscalls sys;
    sys.Expect("fstat").Mode(S_IFSOCK);
    sys.Expect("getsockopt").IntValue(AF_UNIX);
    sys.Expect("socket").Returns(3);
    sys.Expect("connect");
    sys.Expect("sendmsg");
    sys.Expect("close");
    Options o = Opts(host);
    o.local_socket = "/tmp/t/local.sock";
    ASSERT_TRUE(cli::Run(sys, o, MakeIo()).ok());
    EXPECT_EQ(sys.log()[3], "connect(3, unix:/tmp/t/local.sock)");
  }
}

TEST_F(RunTest, DryRunPrintsAndTouchesNothing) {
  const std::pair<const char*, const char*> cases[] = {
      {"unix%run/VM.sock", "unix /run/VM.sock"},
      {"vsock/host", "vsock cid=2 port=22"},
      {"vsock-mux/run/fc.sock", "vsock-mux /run/fc.sock port=22"},
      {".host", "local host /run/ssh-unix-local/socket"},
  };
  for (const auto& [host, want] : cases) {
    printed_.clear();
    Options o = Opts(host);
    o.action = Options::Action::kDryRun;
    ASSERT_TRUE(cli::Run(sys_, o, MakeIo()).ok()) << host;
    EXPECT_THAT(printed_, ElementsAre(want));
  }
  EXPECT_TRUE(sys_.log().empty());  // FakeSyscalls would abort on any call
}

TEST_F(RunTest, BadHostIsAUsageErrorBeforeAnySyscall) {
  absl::Status s = cli::Run(sys_, Opts("vsock/010"), MakeIo());
  EXPECT_EQ(ExitCode(s), kExitUsage);
  EXPECT_EQ(ErrorLine(s),
            "ssh-socket-proxy: vsock CID \"010\": leading zeros are ambiguous "
            "(octal?); write 8 or 0x8");
  EXPECT_TRUE(sys_.log().empty());
}

TEST_F(RunTest, FdpassModeNeedsASocketAndChecksBeforeConnecting) {
  sys_.Expect("fstat").OnFd(1).Mode(S_IFIFO | 0600);
  Options o = Opts("unix/run/vm.sock");
  o.mode = Options::Mode::kFdpass;
  absl::Status s = cli::Run(sys_, o, MakeIo());
  EXPECT_EQ(ExitCode(s), kExitFailure);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("stdout is not a socket, so the connection cannot be handed "
                        "over: run this from ssh with 'ProxyUseFdpass yes', or use "
                        "--mode=relay"));
}

// The relay's set-up and a session that ends at once on both sides.
void ExpectShortRelay(FakeSyscalls& sys) {
  sys.Expect("fcntl").OnFd(3).Returns(O_RDWR);
  sys.Expect("fcntl").OnFd(3);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  sys.Expect("close").OnFd(3);
}

TEST_F(RunTest, AutoModeRelaysWhenStdoutIsAPipe) {
  sys_.Adopt(1);
  sys_.Expect("fstat").OnFd(1).Mode(S_IFIFO | 0600);
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  ExpectShortRelay(sys_);
  absl::Status s = cli::Run(sys_, Opts("unix/run/vm.sock"), MakeIo(true));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(debug_, ::testing::Contains("mode relay"));
  EXPECT_THAT(debug_, ::testing::Contains(
      "relayed 0 bytes to and 0 bytes from unix /run/vm.sock with splice"));
}

TEST_F(RunTest, RelayModeDoesNotLookAtStdout) {
  sys_.Adopt(1);
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  ExpectShortRelay(sys_);
  Options o = Opts("unix/run/vm.sock");
  o.mode = Options::Mode::kRelay;
  ASSERT_TRUE(cli::Run(sys_, o, MakeIo()).ok());
}

TEST_F(RunTest, VsockMuxClosedPortHint) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect");
  sys_.Expect("write");
  sys_.Expect("poll").Revents(POLLIN);
  sys_.Expect("recv").Returns(0);
  sys_.Expect("close").OnFd(3);
  absl::Status s = cli::Run(sys_, Opts("vsock-mux/run/fc.sock", "2222"), MakeIo());
  EXPECT_EQ(ExitCode(s), kExitFailure);
  EXPECT_EQ(s.message(),
            "port 2222 on /run/fc.sock is not open: the multiplexer closed the "
            "connection without a reply; is sshd listening on vsock port 2222 in "
            "the guest, and has it finished booting (--wait)?");
}

TEST_F(RunTest, StdoutClosed) {
  sys_.Expect("fstat").OnFd(1).Fails(EBADF);
  absl::Status s = cli::Run(sys_, Opts("unix/run/vm.sock"), MakeIo());
  EXPECT_EQ(ExitCode(s), kExitFailure);
  EXPECT_EQ(s.message(), "stdout: fstat(1): Bad file descriptor");
}

struct HintCase {
  const char* host;
  int error;
  const char* want;
};

TEST_F(RunTest, ConnectFailuresCarryAHint) {
  const HintCase cases[] = {
      {"unix/run/vm.sock", ENOENT,
       "connect unix:/run/vm.sock: No such file or directory; is the VM or "
       "container running, and is its sshd socket-activated"},
      {"unix/run/vm.sock", EACCES,
       "connect unix:/run/vm.sock: Permission denied; the socket's owner, group "
       "and mode decide who may connect"},
      {"unix/run/vm.sock", ECONNREFUSED,
       "Connection refused; the socket file exists but nothing accepts on it"},
      {"vsock/7", ECONNRESET,
       "connect vsock:7:22: Connection reset by peer; is sshd listening on vsock "
       "port 22 in the guest"},
      {".host", ENOENT, "is the local sshd listening there?"},
  };
  for (const HintCase& c : cases) {
    SCOPED_TRACE(c.host);
    FakeSyscalls sys;
    sys.Expect("fstat").Mode(S_IFSOCK);
    sys.Expect("getsockopt").IntValue(AF_UNIX);
    sys.Expect("socket").Returns(3);
    sys.Expect("connect").Fails(c.error);
    sys.Expect("close").OnFd(3);
    absl::Status s = cli::Run(sys, Opts(c.host), MakeIo());
    EXPECT_EQ(ExitCode(s), kExitFailure);
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.want));
    EXPECT_EQ(std::string(s.message()).find('\n'), std::string::npos);
  }
}

TEST_F(RunTest, NoVsockTransport) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Fails(EAFNOSUPPORT);
  absl::Status s = cli::Run(sys_, Opts("vsock/3"), MakeIo());
  EXPECT_THAT(std::string(s.message()), HasSubstr("this kernel has no AF_VSOCK transport"));
}

TEST_F(RunTest, SshGoneBeforeTheHandOver) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect");
  sys_.Expect("sendmsg").Fails(EPIPE);
  sys_.Expect("close").OnFd(3);
  absl::Status s = cli::Run(sys_, Opts("unix/x"), MakeIo());
  EXPECT_EQ(ExitCode(s), kExitFailure);
  EXPECT_THAT(std::string(s.message()), HasSubstr("ssh closed its end"));
}

// The system machined at /run answers `reply` (no user scope in Opts()).
void ExpectMachined(FakeSyscalls& sys, const std::string& reply) {
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").OnFd(3);
  sys.Expect("fcntl").Returns(O_RDWR | O_NONBLOCK);
  sys.Expect("fcntl");
  sys.Expect("write").OnFd(3);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("recv").Data(reply + std::string("\0", 1));
  sys.Expect("close").OnFd(3);
}

TEST_F(RunTest, MachineContainerIsReachedThroughItsNspawnSocket) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, R"({"parameters":{"class":"container","service":"systemd-nspawn"}})");
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  sys_.Expect("sendmsg").OnFd(1);
  sys_.Expect("close").OnFd(3);
  ASSERT_TRUE(cli::Run(sys_, Opts("machine/debian"), MakeIo(true)).ok());
  EXPECT_THAT(sys_.log(), ::testing::Contains(
      "connect(3, unix:/run/systemd/nspawn/unix-export/debian/ssh)"));
  EXPECT_THAT(debug_, ::testing::Contains(
      "machine debian (system scope, class container, service systemd-nspawn): "
      "unix /run/systemd/nspawn/unix-export/debian/ssh"));
}

TEST_F(RunTest, MachineContainerWithoutExportedSshd) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, R"({"parameters":{"class":"container","service":"systemd-nspawn"}})");
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").Fails(ENOENT);
  sys_.Expect("close").OnFd(3);
  absl::Status s = cli::Run(sys_, Opts("machine/debian"), MakeIo());
  EXPECT_EQ(s.message(),
            "connect unix:/run/systemd/nspawn/unix-export/debian/ssh: No such file "
            "or directory; the container exports its sshd there only when sshd and "
            "systemd-ssh-generator (systemd 256+) are enabled in it");
}

TEST_F(RunTest, MachineVmDryRunShowsTheLookup) {
  ExpectMachined(sys_, R"({"parameters":{"class":"vm","service":"systemd-vmspawn","vSockCid":4711}})");
  Options o = Opts("machine/fedora", "2222");
  o.action = Options::Action::kDryRun;
  ASSERT_TRUE(cli::Run(sys_, o, MakeIo()).ok());
  EXPECT_THAT(printed_, ElementsAre("machine fedora (system scope, class vm, service "
                                    "systemd-vmspawn): vsock cid=4711 port=2222"));
}

TEST_F(RunTest, MachineVmConnectsOverVsock) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, R"({"parameters":{"class":"vm","vSockCid":4711}})");
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  sys_.Expect("sendmsg");
  sys_.Expect("close");
  ASSERT_TRUE(cli::Run(sys_, Opts("machine/fedora"), MakeIo()).ok());
  EXPECT_THAT(sys_.log(), ::testing::Contains("connect(3, vsock:4711:22)"));
}

TEST_F(RunTest, MachineVmOverTcp) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, R"({"parameters":{"class":"vm","sshAddress":"127.0.0.1"}})");
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  sys_.Expect("sendmsg");
  sys_.Expect("close");
  ASSERT_TRUE(cli::Run(sys_, Opts("machine/fedora", "2222"), MakeIo()).ok());
  EXPECT_EQ(sys_.log()[10], "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)");
}

TEST_F(RunTest, MachinesThatCannotBeReached) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"parameters":{"class":"vm"}})",
       "machine m has no AF_VSOCK CID and no SSH address"},
      {R"({"parameters":{"class":"container","service":"docker"}})",
       "machine m (system scope, class container, service docker): only "
       "systemd-nspawn containers export their sshd where it can be found"},
      {R"({"parameters":{"class":"host"}})",
       "machine m (system scope, class host): only VMs and containers can be reached"},
  };
  for (const auto& [reply, want] : cases) {
    FakeSyscalls sys;
    sys.Expect("fstat").Mode(S_IFSOCK);
    sys.Expect("getsockopt").IntValue(AF_UNIX);
    ExpectMachined(sys, reply);
    absl::Status s = cli::Run(sys, Opts("machine/m"), MakeIo());
    EXPECT_EQ(ExitCode(s), kExitFailure);
    EXPECT_EQ(s.message(), want);
  }
}

TEST_F(RunTest, MachineTcpPortRange) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, R"({"parameters":{"class":"vm","sshAddress":"::1"}})");
  absl::Status s = cli::Run(sys_, Opts("machine/m", "70000"), MakeIo());
  EXPECT_THAT(std::string(s.message()), HasSubstr("port 70000 is not a TCP port"));
}

}  // namespace
}  // namespace sshproxy::cli
