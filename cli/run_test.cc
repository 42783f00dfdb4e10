// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lookup/testing/fake_process.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::cli {
namespace {

// The error as the user reads it (cli::ErrorLine), without the program's
// name: message, --wait's summary and the hint, rendered from the fields.
std::string Rendered(const absl::Status& s) {
  return cli::ErrorLine(s).substr(sizeof("ssh-socket-proxy: ") - 1);
}

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
// The proxy's fake kernel: net's calls and lookup's process calls.
using FakeSyscalls = lookup::FakeProcessSyscalls;

// stdout is an AF_UNIX socket whose peer is the process `pid`, named `comm`.
void ExpectStdoutPeer(FakeSyscalls& sys, int pid, const std::string& comm) {
  sys.Expect("fstat").OnFd(1).Mode(S_IFSOCK | 0777);
  sys.Expect("getsockopt").OnFd(1).IntValue(AF_UNIX);
  sys.Expect("getsockopt").OnFd(1).PeerPid(pid);
  sys.Expect("open").Returns(9);
  sys.Expect("read").OnFd(9).Data(comm + "\n");
  sys.Expect("close").OnFd(9);
}

// stdout is ssh's socketpair end (ProxyUseFdpass).
void ExpectStdoutIsSsh(FakeSyscalls& sys) { ExpectStdoutPeer(sys, 4242, "ssh"); }

class RunTest : public ::testing::Test {
 protected:
  Options Opts(std::string host, std::string port = "22") {
    Options o;
    o.host = std::move(host);
    o.port = std::move(port);
    o.local_socket = "/run/ssh-unix-local/socket";
    // Blocking connects keep these scripts short; the default deadline has
    // tests of its own (DefaultDeadline...).
    o.connect_timeout = absl::InfiniteDuration();
    return o;
  }
  Io MakeIo(bool verbose = false) {
    Io io;
    io.print = [this](absl::string_view l) { printed_.emplace_back(l); };
    if (verbose) io.debug = [this](absl::string_view l) { debug_.emplace_back(l); };
    return io;
  }
  void ExpectStdoutIsSocket() { ExpectStdoutIsSsh(sys_); }

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
                          "getsockopt(1, SOL_SOCKET, SO_PEERCRED)",
                          "open(/proc/4242/comm, O_CLOEXEC)", "read(9, 32)", "close(9)",
                          "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)",
                          "connect(3, unix:/run/vm.sock)",
                          "sendmsg(1, \"\\000\", fd 3, MSG_NOSIGNAL, MSG_DONTWAIT)", "close(3)"));
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
  EXPECT_EQ(sys_.log()[7], "connect(3, vsock:4711:2222)");
}

TEST_F(RunTest, LocalHostUsesTheConfiguredSocket) {
  for (const char* host : {".host", "machine/.host", "machine%.host"}) {
    FakeSyscalls sys;
    ExpectStdoutIsSsh(sys);
    sys.Expect("socket").Returns(3);
    sys.Expect("connect");
    sys.Expect("sendmsg");
    sys.Expect("close");
    Options o = Opts(host);
    o.local_socket = "/tmp/t/local.sock";
    ASSERT_TRUE(cli::Run(sys, o, MakeIo()).ok());
    EXPECT_EQ(sys.log()[7], "connect(3, unix:/tmp/t/local.sock)");
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
  EXPECT_THAT(std::string(Rendered(s)),
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
  EXPECT_EQ(Rendered(s),
            "port 2222 on /run/fc.sock is not open: the multiplexer closed the "
            "connection without a reply; is sshd listening on vsock port 2222 in "
            "the guest, and has it finished booting (--wait)?");
}

TEST_F(RunTest, StdoutUnusable) {
  sys_.Expect("fstat").OnFd(1).Fails(EIO);
  absl::Status s = cli::Run(sys_, Opts("unix/run/vm.sock"), MakeIo());
  EXPECT_EQ(ExitCode(s), kExitFailure);
  EXPECT_EQ(Rendered(s), "stdout: fstat(1): Input/output error");
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
       "Connection refused; the socket file exists but nothing accepts on it (a "
       "stale socket of a stopped VM or container?): start the VM or container, "
       "or remove the stale socket file"},
      {"vsock/7", ECONNRESET,
       "connect vsock:7:22: Connection reset by peer; is sshd listening on vsock "
       "port 22 in the guest"},
      {".host", ENOENT, "is the local sshd listening there?"},
  };
  for (const HintCase& c : cases) {
    SCOPED_TRACE(c.host);
    FakeSyscalls sys;
    ExpectStdoutIsSsh(sys);
    sys.Expect("socket").Returns(3);
    sys.Expect("connect").Fails(c.error);
    sys.Expect("close").OnFd(3);
    if (c.error == ECONNREFUSED && c.host[0] == 'u') {  // is it a socket?
      sys.Expect("open").Returns(4);
      sys.Expect("fstat").OnFd(4).Mode(S_IFSOCK | 0777);
      sys.Expect("close").OnFd(4);
    }
    absl::Status s = cli::Run(sys, Opts(c.host), MakeIo());
    EXPECT_EQ(ExitCode(s), kExitFailure);
    EXPECT_THAT(std::string(Rendered(s)), HasSubstr(c.want));
    EXPECT_EQ(std::string(Rendered(s)).find('\n'), std::string::npos);
  }
}

TEST_F(RunTest, NoVsockTransport) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Fails(EAFNOSUPPORT);
  absl::Status s = cli::Run(sys_, Opts("vsock/3"), MakeIo());
  EXPECT_THAT(std::string(Rendered(s)), HasSubstr("this kernel has no AF_VSOCK transport"));
}

TEST_F(RunTest, SshGoneBeforeTheHandOver) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect");
  sys_.Expect("sendmsg").Fails(EPIPE);
  sys_.Expect("close").OnFd(3);
  absl::Status s = cli::Run(sys_, Opts("unix/x"), MakeIo());
  EXPECT_EQ(ExitCode(s), kExitFailure);
  EXPECT_THAT(std::string(Rendered(s)), HasSubstr("ssh closed its end"));
}

// A connect with a deadline: non-blocking, then blocking again.
void ExpectBoundedConnect(FakeSyscalls& sys) {
  sys.Expect("socket").Returns(3);
  sys.Expect("connect").OnFd(3);
  sys.Expect("fcntl").Returns(O_RDWR | O_NONBLOCK);
  sys.Expect("fcntl");
}

// The same for AF_VSOCK, which also gives the kernel's connect timer the deadline.
void ExpectBoundedVsockConnect(FakeSyscalls& sys) {
  sys.Expect("socket").Returns(3);
  sys.Expect("setsockopt").OnFd(3);
  sys.Expect("connect").OnFd(3);
  sys.Expect("fcntl").Returns(O_RDWR | O_NONBLOCK);
  sys.Expect("fcntl");
}

// The system machined at /run answers `reply` (no user scope in Opts()).
// `bounded`: the connect has a deadline (--wait).
void ExpectMachined(FakeSyscalls& sys, const std::string& reply, bool bounded = false) {
  if (bounded) {
    ExpectBoundedConnect(sys);
  } else {
    sys.Expect("socket").Returns(3);
    sys.Expect("connect").OnFd(3);
  }
  sys.Expect("write").OnFd(3);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("read").Data(reply + std::string("\0", 1));
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
  EXPECT_EQ(Rendered(s),
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
  EXPECT_EQ(sys_.log()[12], "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)");
}

// Relayed to a VM over TCP: Nagle off, or the second of two packets ssh
// writes back to back waits for the first one's acknowledgement. A failure
// to turn it off costs latency only, so the relay goes on.
TEST_F(RunTest, MachineVmOverTcpRelayTurnsNagleOff) {
  for (const bool fails : {false, true}) {
    SCOPED_TRACE(fails ? "setsockopt fails" : "setsockopt works");
    FakeSyscalls sys;
    sys.Adopt(1);
    ExpectMachined(sys, R"({"parameters":{"class":"vm","sshAddress":"127.0.0.1"}})");
    sys.Expect("socket").Returns(3);
    sys.Expect("connect").OnFd(3);
    if (fails) {
      sys.Expect("setsockopt").OnFd(3).Fails(ENOPROTOOPT);
    } else {
      sys.Expect("setsockopt").OnFd(3);
    }
    ExpectShortRelay(sys);
    Options o = Opts("machine/fedora", "2222");
    o.mode = Options::Mode::kRelay;
    debug_.clear();
    absl::Status s = cli::Run(sys, o, MakeIo(true));
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_THAT(sys.log(), Contains("setsockopt(3, IPPROTO_TCP, TCP_NODELAY, 1)"));
    if (fails) {
      EXPECT_THAT(debug_, Contains("setsockopt(3, TCP_NODELAY): Protocol not available"));
    }
  }
}

TEST_F(RunTest, MachinesThatCannotBeReached) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"parameters":{"class":"vm"}})",
       "machine m has no AF_VSOCK CID and no SSH address; give the VM a vsock "
       "device (systemd-vmspawn does), or ssh to its address"},
      {R"({"parameters":{"class":"container","service":"docker"}})",
       "machine m (system scope, class container, service docker): only "
       "systemd-nspawn containers export their sshd where it can be found; name "
       "its sshd's socket with unix/PATH"},
      {R"({"parameters":{"class":"host"}})",
       "machine m (system scope, class host): only VMs and containers can be reached"},
  };
  for (const auto& [reply, want] : cases) {
    FakeSyscalls sys;
    ExpectStdoutIsSsh(sys);
    ExpectMachined(sys, reply);
    absl::Status s = cli::Run(sys, Opts("machine/m"), MakeIo());
    EXPECT_EQ(ExitCode(s), kExitFailure);
    EXPECT_EQ(Rendered(s), want);
  }
}

TEST_F(RunTest, MachineTcpPortRange) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, R"({"parameters":{"class":"vm","sshAddress":"::1"}})");
  absl::Status s = cli::Run(sys_, Opts("machine/m", "70000"), MakeIo());
  // The port is the caller's mistake: a usage error, saying what would do.
  EXPECT_EQ(ExitCode(s), kExitUsage);
  EXPECT_EQ(Rendered(s),
            "machine m (system scope, class vm) is reached over TCP, and port 70000 "
            "is not a TCP port: give a port from 1 to 65535");
}

// qemu/: the proxy is /usr/bin/ssh-socket-proxy, its helper answers
// `answer` and exits with `code`.
void ExpectLibvirtHelper(FakeSyscalls& sys, const std::string& answer, int code = 0) {
  sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
  sys.Expect("pipe2").Returns(5);
  sys.Expect("spawn").OnFd(6).Returns(4242);
  sys.Expect("close").OnFd(6);
  sys.Expect("poll").OnFd(5).Revents(POLLIN);
  sys.Expect("read").OnFd(5).Data(answer + "\n");
  sys.Expect("poll").OnFd(5).Revents(POLLIN);
  sys.Expect("read").OnFd(5).Returns(0);
  sys.Expect("waitpid").IntValue(lookup::ExitedWith(code));
  sys.Expect("close").OnFd(5);
}

constexpr char kWebAnswer[] =
    R"({"cid":4711,"id":1,"name":"web","uri":"test:///n.xml"})";

TEST_F(RunTest, QemuDryRunShowsTheLookup) {
  ExpectLibvirtHelper(sys_, kWebAnswer);
  Options o = Opts("qemu%6695eb01-f6a4-8304-79aa-97f2502e193f", "2222");
  o.action = Options::Action::kDryRun;
  o.libvirt_uri = "test:///n.xml";
  ASSERT_TRUE(cli::Run(sys_, o, MakeIo()).ok());
  EXPECT_THAT(printed_, ElementsAre("qemu 6695eb01-f6a4-8304-79aa-97f2502e193f "
                                    "(test:///n.xml, domain 1 web): vsock cid=4711 "
                                    "port=2222"));
  EXPECT_EQ(sys_.log()[2],
            "spawn(/usr/bin/ssh-socket-proxy-libvirt any "
            "6695eb01-f6a4-8304-79aa-97f2502e193f test:///n.xml, out 6)");
}

// Another host's libvirt would answer with its own CIDs, which the proxy
// would dial here: refused in one line, before the helper is even run (no
// system call is scripted: any would abort).
TEST_F(RunTest, RemoteLibvirtUriIsRefusedBeforeAsking) {
  for (const char* uri : {"qemu+ssh://other/system", "qemu://other/system", "hail"}) {
    Options o = Opts("qemu/web");
    o.libvirt_uri = uri;
    for (auto action : {Options::Action::kDryRun, Options::Action::kConnect}) {
      o.action = action;
      absl::Status s = cli::Run(sys_, o, MakeIo());
      EXPECT_EQ(ExitCode(s), kExitUsage) << uri;
      EXPECT_EQ(Rendered(s),
                absl::StrCat("SSH_SOCKET_PROXY_LIBVIRT_URI=", uri,
                             " is not a libvirt on this machine, and a VM's vsock CID "
                             "means nothing on another: use qemu:///system, "
                             "qemu:///session or unset it"));
    }
  }
}

TEST_F(RunTest, QemuConnectsOverVsockToTheDomainsCid) {
  ExpectStdoutIsSocket();
  ExpectLibvirtHelper(sys_, kWebAnswer);
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  sys_.Expect("sendmsg").OnFd(1);
  sys_.Expect("close").OnFd(3);
  absl::Status s = cli::Run(sys_, Opts("qemu:system/web", "2222"), MakeIo(true));
  ASSERT_TRUE(s.ok()) << s;
  // The lookup, then the connect to the CID libvirt named, right after the
  // socket is made.
  const std::vector<std::string>& log = sys_.log();
  EXPECT_THAT(log, Contains("spawn(/usr/bin/ssh-socket-proxy-libvirt system web, out 6)"));
  auto socket = std::find(log.begin(), log.end(),
                          "socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0)");
  ASSERT_NE(socket, log.end());
  ASSERT_NE(socket + 1, log.end());
  EXPECT_EQ(socket[1], "connect(3, vsock:4711:2222)");
  EXPECT_THAT(debug_, ::testing::Contains(
      "qemu web (test:///n.xml, domain 1): vsock cid=4711 port=2222"));
}

TEST_F(RunTest, QemuWaitAsksLibvirtAgain) {
  ExpectStdoutIsSocket();
  ExpectLibvirtHelper(sys_, R"({"error":"shut_off","message":"qemu domain 'web' at )"
                            R"(test:///n.xml is shut off"})", 1);
  sys_.Expect("poll").Elapses(absl::Milliseconds(100));  // the pause
  ExpectLibvirtHelper(sys_, kWebAnswer);
  sys_.Expect("socket").Returns(3);
  sys_.Expect("setsockopt").OnFd(3);
  sys_.Expect("connect").OnFd(3);
  sys_.Expect("fcntl").OnFd(3).Returns(O_RDWR | O_NONBLOCK);
  sys_.Expect("fcntl").OnFd(3);
  sys_.Expect("sendmsg").OnFd(1);
  sys_.Expect("close").OnFd(3);
  Options o = Opts("qemu/web");
  o.wait = absl::Seconds(30);
  absl::Status s = cli::Run(sys_, o, MakeIo());
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(std::count(sys_.log().begin(), sys_.log().end(),
                       "spawn(/usr/bin/ssh-socket-proxy-libvirt any web, out 6)"),
            2);
  EXPECT_THAT(sys_.log(), Contains("connect(3, vsock:4711:22)"));
}

TEST_F(RunTest, QemuLookupErrorsAreLibvirtsWords) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"error":"not_found","message":"qemu domain 'nosuch' not found at )"
       R"(qemu:///system or qemu:///session"})",
       "ssh-socket-proxy: qemu domain 'nosuch' not found at qemu:///system or "
       "qemu:///session"},
      {R"({"error":"unreachable","message":"cannot reach libvirt at qemu:///system: )"
       R"(Failed to connect socket"})",
       "ssh-socket-proxy: cannot reach libvirt at qemu:///system: Failed to connect "
       "socket"},
  };
  for (const auto& [answer, want] : cases) {
    FakeSyscalls sys;
    ExpectStdoutIsSsh(sys);
    ExpectLibvirtHelper(sys, answer, 1);
    absl::Status s = cli::Run(sys, Opts("qemu/nosuch"), MakeIo());
    EXPECT_EQ(ExitCode(s), kExitFailure);
    EXPECT_EQ(ErrorLine(s), want);
  }
}

// The helper never answers: the lookup is bounded by --connect-timeout (at
// least 1s), and the error says what to look at and how to wait longer.
TEST_F(RunTest, QemuLookupIsBoundedByTheConnectTimeout) {
  struct Case {
    absl::Duration connect_timeout;
    int poll_ms;  // the helper's time limit
    const char* within;
  } cases[] = {
      {absl::Seconds(30), 30000, "30s"},
      {absl::Seconds(3), 3000, "3s"},
      {absl::Milliseconds(200), 1000, "1s"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.within);
    FakeSyscalls sys;
    sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
    sys.Expect("pipe2").Returns(5);
    sys.Expect("spawn").OnFd(6).Returns(4242);
    sys.Expect("close").OnFd(6);
    sys.Expect("poll").OnFd(5).Elapses(absl::Milliseconds(c.poll_ms)).Returns(0);
    sys.Expect("kill");
    sys.Expect("waitpid").IntValue(lookup::KilledBy(SIGKILL));
    sys.Expect("close").OnFd(5);
    Options o = Opts("qemu/web");
    o.action = Options::Action::kDryRun;
    o.connect_timeout = c.connect_timeout;
    absl::Status s = cli::Run(sys, o, MakeIo());
    EXPECT_EQ(ExitCode(s), kExitFailure);
    EXPECT_EQ(Rendered(s),
              absl::StrCat("libvirt did not answer about qemu domain 'web' within ",
                           c.within, "; is libvirt's daemon (libvirtd or virtqemud) "
                           "hung, or slow to start? --connect-timeout=DURATION gives "
                           "it longer"));
    EXPECT_THAT(sys.log(), Contains(absl::StrCat("poll([5 in], ", c.poll_ms, ")")));
  }
}

TEST_F(RunTest, QemuVerboseSaysWhichConnectionsAreAsked) {
  const std::pair<const char*, const char*> cases[] = {
      {"qemu/web", "host qemu/web is qemu web (qemu:///system, then qemu:///session "
                   "unless root) port=22"},
      {"qemu:system/web", "host qemu:system/web is qemu web (qemu:///system) port=22"},
      {"qemu:session/web", "host qemu:session/web is qemu web (qemu:///session) port=22"},
  };
  for (const auto& [host, want] : cases) {
    FakeSyscalls sys;
    ExpectLibvirtHelper(sys, kWebAnswer);
    Options o = Opts(host);
    o.action = Options::Action::kDryRun;
    debug_.clear();
    ASSERT_TRUE(cli::Run(sys, o, MakeIo(true)).ok());
    ASSERT_FALSE(debug_.empty());
    EXPECT_EQ(debug_[0], want);
  }
}

TEST_F(RunTest, QemuWaitSummaryComesBeforeLibvirtsAdvice) {
  ExpectStdoutIsSocket();
  const std::string off = R"j({"error":"shut_off","message":"qemu domain 'off' at u )j"
                          R"j(is shut off","hint":"start it (virsh -c u start off)"})j";
  ExpectLibvirtHelper(sys_, off, 1);
  sys_.Expect("poll").Elapses(absl::Milliseconds(200));  // the pause, to the end
  ExpectLibvirtHelper(sys_, off, 1);
  Options o = Opts("qemu/off");
  o.wait = absl::Milliseconds(200);
  absl::Status s = cli::Run(sys_, o, MakeIo());
  EXPECT_EQ(Rendered(s),
            "qemu domain 'off' at u is shut off (still, after 2 attempts in 200ms of "
            "--wait); start it (virsh -c u start off)");
}

TEST_F(RunTest, AutoModeRelaysToASocketpairWhosePeerIsNotSsh) {
  // socat's EXEC gives a socketpair too; a descriptor sent there is lost.
  sys_.Adopt(1);
  ExpectStdoutPeer(sys_, 777, "socat");
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  ExpectShortRelay(sys_);
  absl::Status s = cli::Run(sys_, Opts("unix/run/vm.sock"), MakeIo(true));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(debug_, ::testing::Contains("mode relay"));
  EXPECT_THAT(sys_.log(), ::testing::Not(::testing::Contains(HasSubstr("sendmsg"))));
}

TEST_F(RunTest, AutoModeRefusesWhenThePeerCannotBeNamed) {
  struct Case {
    const char* name;
    void (*script)(FakeSyscalls&);
    const char* why;
  } cases[] = {
      {"pid_0",
       [](FakeSyscalls& sys) { sys.Expect("getsockopt").OnFd(1).PeerPid(0); },
       "its peer's process is not visible from here"},
      {"no_proc",
       [](FakeSyscalls& sys) {
         sys.Expect("getsockopt").OnFd(1).PeerPid(4242);
         sys.Expect("open").Fails(ENOENT);
       },
       "/proc/4242/comm: No such file or directory"},
      {"read_fails",
       [](FakeSyscalls& sys) {
         sys.Expect("getsockopt").OnFd(1).PeerPid(4242);
         sys.Expect("open").Returns(9);
         sys.Expect("read").Fails(EINTR);
         sys.Expect("read").Fails(EIO);
         sys.Expect("close").OnFd(9);
       },
       "/proc/4242/comm: Input/output error"},
      {"getsockopt_fails",
       [](FakeSyscalls& sys) { sys.Expect("getsockopt").OnFd(1).Fails(ENOPROTOOPT); },
       "getsockopt(1, SO_PEERCRED): Protocol not available"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSyscalls sys;
    sys.Expect("fstat").OnFd(1).Mode(S_IFSOCK | 0777);
    sys.Expect("getsockopt").OnFd(1).IntValue(AF_UNIX);
    c.script(sys);
    absl::Status s = cli::Run(sys, Opts("unix/run/vm.sock"), MakeIo());
    EXPECT_EQ(ExitCode(s), kExitFailure);
    EXPECT_EQ(Rendered(s),
              absl::StrCat("stdout is a socket, but whether ssh is at its other end "
                           "cannot be told (", c.why, "): use --mode=fdpass under "
                           "ssh's ProxyUseFdpass, --mode=relay for anything else"));
  }
}

TEST_F(RunTest, ClosedStandardStreams) {
  struct Case {
    Options::Mode mode;
    int in, out;
    const char* want;
  } cases[] = {
      {Options::Mode::kRelay, -1, 1,
       "stdin is closed, so there is nothing to relay: run this as ssh's "
       "ProxyCommand, or with stdin open (</dev/null sends nothing)"},
      {Options::Mode::kRelay, 0, -1,
       "stdout is closed, so the connection has nowhere to go: run this as ssh's "
       "ProxyCommand, or with stdout open"},
      {Options::Mode::kAuto, 0, -1, "stdout is closed"},
      {Options::Mode::kFdpass, -1, -1, "stdout is closed"},
  };
  for (const Case& c : cases) {
    FakeSyscalls sys;  // nothing is connected: no call at all
    Options o = Opts("unix/run/vm.sock");
    o.mode = c.mode;
    Io io = MakeIo();
    io.in = c.in;
    io.out = c.out;
    absl::Status s = cli::Run(sys, o, io);
    EXPECT_EQ(ExitCode(s), kExitFailure) << c.want;
    EXPECT_THAT(std::string(Rendered(s)), HasSubstr(c.want));
  }
}

TEST_F(RunTest, ClosedStdinIsFineForAHandOver) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").OnFd(3);
  sys_.Expect("sendmsg").OnFd(1);
  sys_.Expect("close").OnFd(3);
  Io io = MakeIo();
  io.in = -1;
  EXPECT_TRUE(cli::Run(sys_, Opts("unix/run/vm.sock"), io).ok());
}

TEST_F(RunTest, DefaultDeadlineEndsAConnectNothingAccepts) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("setsockopt").OnFd(3);
  sys_.Expect("connect").Fails(EINPROGRESS);
  sys_.Expect("poll").OnFd(3).Returns(0).Elapses(absl::Seconds(10));
  sys_.Expect("close").OnFd(3);
  Options o = Opts("vsock/7");
  o.connect_timeout = Options().connect_timeout;  // the default
  absl::Status s = cli::Run(sys_, o, MakeIo());
  EXPECT_EQ(ExitCode(s), kExitFailure);
  EXPECT_EQ(Rendered(s),
            "connect vsock:7:22: timed out; nothing answered within 10s "
            "(--connect-timeout): is the listener hung, or its backlog full? "
            "--connect-timeout=DURATION waits longer");
  EXPECT_THAT(sys_.log(), ::testing::Contains("poll([3 out], 10000)"));
}

TEST_F(RunTest, WaitTimeoutNamesTheWaitNotTheLastAttempt) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("setsockopt").OnFd(3);
  sys_.Expect("connect").Fails(EINPROGRESS);
  sys_.Expect("poll").OnFd(3).Returns(0).Elapses(absl::Milliseconds(4999));
  sys_.Expect("close").OnFd(3);
  sys_.Expect("poll").Elapses(absl::Milliseconds(1));  // the pause
  sys_.Expect("socket").Returns(3);
  sys_.Expect("setsockopt").OnFd(3);
  sys_.Expect("connect").Fails(EINPROGRESS);
  sys_.Expect("poll").OnFd(3).Returns(0).Elapses(absl::Milliseconds(1));
  sys_.Expect("close").OnFd(3);
  Options o = Opts("vsock/7");
  o.connect_timeout = absl::Seconds(10);
  o.wait = absl::Seconds(5);
  absl::Status s = cli::Run(sys_, o, MakeIo());
  EXPECT_EQ(Rendered(s),
            "connect vsock:7:22: timed out (still, after 2 attempts in 5s of --wait); "
            "is the listener hung, or its backlog full? a longer --wait waits longer");
}

TEST_F(RunTest, ThisSystemForbidsVsock) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Fails(EACCES);
  absl::Status s = cli::Run(sys_, Opts("vsock/3"), MakeIo());
  EXPECT_EQ(Rendered(s),
            "socket(AF_VSOCK) for connect vsock:3:22: Permission denied; this system "
            "forbids AF_VSOCK sockets here (a seccomp filter or security module, as "
            "in containers and sandboxes): run it where vsock is allowed");
}

TEST_F(RunTest, NotASocketSaysWhatIsThere) {
  ExpectStdoutIsSocket();
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").Fails(ECONNREFUSED);
  sys_.Expect("close").OnFd(3);
  sys_.Expect("open").Returns(4);
  sys_.Expect("fstat").OnFd(4).Mode(S_IFDIR | 0755);
  sys_.Expect("close").OnFd(4);
  absl::Status s = cli::Run(sys_, Opts("unix/run/vms"), MakeIo());
  EXPECT_EQ(Rendered(s),
            "connect unix:/run/vms: a directory is there, not a socket; is the path "
            "right? it must name the socket file itself");
}

TEST_F(RunTest, RefusedTcpIsNotAStaleSocket) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, R"({"parameters":{"class":"vm","sshAddress":"10.0.0.5"}})");
  sys_.Expect("socket").Returns(3);
  sys_.Expect("connect").Fails(ECONNREFUSED);
  sys_.Expect("close").OnFd(3);
  absl::Status s = cli::Run(sys_, Opts("machine/fedora"), MakeIo());
  EXPECT_EQ(Rendered(s),
            "connect tcp:10.0.0.5:22: Connection refused; is sshd running in the VM "
            "and listening on 10.0.0.5 port 22?");
}

constexpr char kNoSuchMachine[] =
    R"({"error":"io.systemd.Machine.NoSuchMachine","parameters":{}})";

TEST_F(RunTest, WaitCoversAMachineThatRegistersLate) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, kNoSuchMachine, true);
  sys_.Expect("poll").Elapses(absl::Milliseconds(100));  // the pause
  ExpectMachined(sys_, kNoSuchMachine, true);
  sys_.Expect("poll").Elapses(absl::Milliseconds(200));
  ExpectMachined(sys_, R"({"parameters":{"class":"vm","vSockCid":4711}})", true);
  ExpectBoundedVsockConnect(sys_);
  sys_.Expect("sendmsg").OnFd(1);
  sys_.Expect("close").OnFd(3);
  Options o = Opts("machine/late");
  o.wait = absl::Seconds(30);
  absl::Status s = cli::Run(sys_, o, MakeIo(true));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(debug_, ::testing::Contains(HasSubstr(
      "attempt 1: machine late is not known to systemd-machined")));
  EXPECT_THAT(debug_, ::testing::Contains("machine late (system scope, class vm): "
                                          "vsock cid=4711 port=22"));
}

TEST_F(RunTest, WaitZeroAsksMachinedOnce) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, kNoSuchMachine);
  Options o = Opts("machine/late");
  o.wait = absl::ZeroDuration();
  absl::Status s = cli::Run(sys_, o, MakeIo());
  EXPECT_EQ(Rendered(s),
            "machine late is not known to systemd-machined (asked the system scope; "
            "machinectl list shows what is registered)");
}

TEST_F(RunTest, WaitGivesUpOnAMachineThatNeverComes) {
  ExpectStdoutIsSocket();
  ExpectMachined(sys_, kNoSuchMachine, true);
  sys_.Expect("poll").Elapses(absl::Milliseconds(100));
  ExpectMachined(sys_, kNoSuchMachine, true);
  sys_.Expect("poll").Elapses(absl::Milliseconds(100));
  ExpectMachined(sys_, kNoSuchMachine, true);
  Options o = Opts("machine/never");
  o.wait = absl::Milliseconds(200);
  absl::Status s = cli::Run(sys_, o, MakeIo());
  EXPECT_THAT(std::string(Rendered(s)),
              HasSubstr("machine never is not known to systemd-machined (asked the "
                        "system scope; machinectl list shows what is registered) "
                        "(still, after 3 attempts in 200ms of --wait)"));
}

}  // namespace
}  // namespace sshproxy::cli
