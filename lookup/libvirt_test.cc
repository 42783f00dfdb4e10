// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/libvirt.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/error.h"
#include "lookup/testing/fake_process.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::lookup {
namespace {

using ::testing::ElementsAre;

constexpr int kExited0 = 0;
constexpr int kExited1 = 1 << 8;
constexpr int kExited127 = 127 << 8;

TEST(LibvirtHelperPathsTest, NextToTheProxyAndInLibexec) {
  EXPECT_THAT(LibvirtHelperPaths("/usr/bin/ssh-socket-proxy"),
              ElementsAre("/usr/bin/ssh-socket-proxy-libvirt",
                          "/usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt"));
  EXPECT_THAT(LibvirtHelperPaths("/x/bazel-out/k8-fastbuild/bin/cli/ssh-socket-proxy"),
              ElementsAre("/x/bazel-out/k8-fastbuild/bin/cli/ssh-socket-proxy-libvirt"));
  EXPECT_THAT(LibvirtHelperPaths("/bin/ssh-socket-proxy"),
              ElementsAre("/bin/ssh-socket-proxy-libvirt",
                          "/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt"));
  EXPECT_TRUE(LibvirtHelperPaths("ssh-socket-proxy").empty());
}

TEST(IsLocalLibvirtUriTest, NoHostNoRemoteTransport) {
  for (const char* local : {"qemu:///system", "qemu:///session", "test:///default",
                            "test:///abs/node.xml", "qemu+unix:///system?socket=/x"}) {
    EXPECT_TRUE(IsLocalLibvirtUri(local)) << local;
  }
  for (const char* remote :
       {"qemu+ssh://other/system", "qemu+ssh:///system", "qemu+tcp://h/system",
        "qemu+tls://h:16514/system", "qemu://h/system", "qemu://user@h/system",
        "qemu+libssh2://h/system", "qemu+ext:///system?command=/bin/x", "myalias", "",
        "://x", "qemu:system"}) {
    EXPECT_FALSE(IsLocalLibvirtUri(remote)) << remote;
  }
}

TEST(DecodeLibvirtAnswerTest, Domain) {
  absl::StatusOr<LibvirtDomain> d = DecodeLibvirtAnswer(
      "{\"cid\":4711,\"id\":1,\"name\":\"web\",\"uri\":\"qemu:///system\"}\n", kExited0);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->cid, 4711u);
  EXPECT_EQ(d->id, 1);
  EXPECT_EQ(d->name, "web");
  EXPECT_EQ(d->uri, "qemu:///system");
  // A library's warning on stderr before the answer does not hide it.
  d = DecodeLibvirtAnswer(
      "I/O warning : failed to load external entity \"x\"\n"
      "{\"cid\":3,\"id\":7,\"name\":\"a\",\"uri\":\"test:///n.xml\"}\n",
      kExited0);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->cid, 3u);
}

struct Failure {
  std::string output;
  std::optional<int> status;  // nullopt: lost (SIGCHLD ignored)
  absl::StatusCode code;
  std::string message;  // the whole message
};

// How the loader's failure begins; the rest is the loader's own words.
const std::string kCannotStart = "the qemu/ lookup helper cannot start: shared library ";

TEST(DecodeLibvirtAnswerTest, Errors) {
  using absl::StatusCode;
  const Failure cases[] = {
      {R"({"error":"not_found","message":"qemu domain 'x' not found at qemu:///system"})",
       kExited1, StatusCode::kNotFound, "qemu domain 'x' not found at qemu:///system"},
      {R"({"error":"shut_off","message":"off"})", kExited1, StatusCode::kUnavailable, "off"},
      {R"({"error":"no_cid","message":"m"})", kExited1, StatusCode::kUnavailable, "m"},
      {R"({"error":"unreachable","message":"a\nb\tc"})", kExited1,
       StatusCode::kUnavailable, "a b c"},
      {R"({"error":"denied","message":"m"})", kExited1, StatusCode::kPermissionDenied, "m"},
      {R"({"error":"no_session","message":"m"})", kExited1,
       StatusCode::kFailedPrecondition, "m"},
      // The exit status lost: the output alone tells.
      {R"({"error":"not_found","message":"m"})", std::nullopt, StatusCode::kNotFound, "m"},
      {"ssh-socket-proxy-libvirt: error while loading shared libraries: libvirt.so.0: "
       "cannot open shared object file: No such file or directory",
       std::nullopt, StatusCode::kFailedPrecondition,
       kCannotStart + "libvirt.so.0: cannot open shared object file: No such file or directory"},
      {"", std::nullopt, StatusCode::kDataLoss, ""},
      {R"({"error":"no_vsock","message":"m"})", kExited1,
       StatusCode::kFailedPrecondition, "m"},
      {R"({"error":"bad_xml","message":"m"})", kExited1, StatusCode::kDataLoss, "m"},
      {R"({"error":"usage","message":"m"})", 2 << 8, StatusCode::kInternal, "m"},
      // The dynamic loader, before the helper's main() ran.
      {"/usr/bin/ssh-socket-proxy-libvirt: error while loading shared libraries: "
       "libvirt.so.0: cannot open shared object file: No such file or directory\n",
       kExited127, StatusCode::kFailedPrecondition,
       kCannotStart + "libvirt.so.0: cannot open shared object file: No such file or directory"},
      // The helper's own path says "libvirt"; the library the loader names
      // is another (measured on Debian 12: libatomic, which nothing pulled in).
      {"/usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt: error while loading "
       "shared libraries: libatomic.so.1: cannot open shared object file: No such file "
       "or directory\n",
       kExited127, StatusCode::kFailedPrecondition,
       kCannotStart + "libatomic.so.1: cannot open shared object file: No such file or directory"},
      {"x: error while loading shared libraries: libxml2.so.2: cannot open shared "
       "object file\n",
       kExited127, StatusCode::kFailedPrecondition,
       kCannotStart + "libxml2.so.2: cannot open shared object file"},
      {"x: error while loading shared libraries: libstdc++.so.6: cannot open\n",
       kExited127, StatusCode::kFailedPrecondition,
       kCannotStart + "libstdc++.so.6: cannot open"},
      // Exit 127 without the loader's words: quoted as it is.
      {"x: something else\n", kExited127, StatusCode::kFailedPrecondition,
       "the qemu/ lookup helper could not start: x: something else"},
      // Not the helper we know.
      {"", kExited0, StatusCode::kDataLoss,
       "the qemu/ lookup helper answered something else: \"\""},
      {"garbage\x01\n", kExited1, StatusCode::kDataLoss,
       "the qemu/ lookup helper answered something else: \"garbage\\x01\""},
      {"{\"cid\":4711", kExited0, StatusCode::kDataLoss,
       "the qemu/ lookup helper answered something else: \"{\\\"cid\\\":4711\""},
      {R"({"cid":4711})", kExited0, StatusCode::kDataLoss,
       "the qemu/ lookup helper answered without cid, uri, name and id: "
       "\"{\\\"cid\\\":4711}\""},
      {R"({"cid":"4711","id":1,"name":"w","uri":"u"})", kExited0, StatusCode::kDataLoss, ""},
      {R"({"cid":-1,"id":1,"name":"w","uri":"u"})", kExited0, StatusCode::kDataLoss, ""},
      {R"({"cid":4294967295,"id":1,"name":"w","uri":"u"})", kExited0,
       StatusCode::kDataLoss, ""},
      {R"({"cid":2,"id":1,"name":"w","uri":"u"})", kExited0, StatusCode::kDataLoss,
       "the qemu/ lookup helper answered with an impossible CID: "
       "\"{\\\"cid\\\":2,\\\"id\\\":1,\\\"name\\\":\\\"w\\\",\\\"uri\\\":\\\"u\\\"}\""},
      {R"({"cid":5,"id":1,"name":"w","uri":"u"})", kExited1, StatusCode::kDataLoss, ""},
      {R"({"error":1,"message":"m"})", kExited1, StatusCode::kDataLoss, ""},
      {R"({"error":"not_found"})", kExited1, StatusCode::kDataLoss, ""},
      {"", SIGSEGV, StatusCode::kInternal, "the qemu/ lookup helper died of signal 11"},
  };
  for (const Failure& c : cases) {
    SCOPED_TRACE(c.output);
    absl::StatusOr<LibvirtDomain> d = DecodeLibvirtAnswer(c.output, c.status);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), c.code) << d.status();
    if (!c.message.empty()) EXPECT_EQ(std::string(d.status().message()), c.message);
  }
}

TEST(DecodeLibvirtAnswerTest, HintsAreFields) {
  absl::StatusOr<LibvirtDomain> d = DecodeLibvirtAnswer(
      R"({"error":"shut_off","message":"off","hint":"start it"})", kExited1);
  EXPECT_EQ(d.status().message(), "off");
  EXPECT_EQ(net::HintOf(d.status()), "start it");
  d = DecodeLibvirtAnswer(R"({"error":"shut_off","message":"off","hint":1})", kExited1);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  // A missing library: which one, and the package that brings it.
  d = DecodeLibvirtAnswer(
      "/usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt: error while loading "
      "shared libraries: libatomic.so.1: cannot open shared object file: No such file "
      "or directory\n",
      kExited127);
  EXPECT_EQ(net::HintOf(d.status()),
            "install the package that provides libatomic.so.1 (on Debian, installing "
            "ssh-socket-proxy-libvirt brings every library the helper needs)");
}

// The proxy is /usr/bin/ssh-socket-proxy; the helper answers `output`.
void ExpectHelperRun(FakeProcessSyscalls& sys, absl::string_view output, int exit_code) {
  sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
  sys.Expect("pipe2").Returns(5);
  sys.Expect("spawn").OnFd(6).Returns(4242);
  sys.Expect("close").OnFd(6);
  sys.Expect("poll").OnFd(5).Revents(POLLIN);
  sys.Expect("read").OnFd(5).Data(output);
  sys.Expect("poll").OnFd(5).Revents(POLLIN);
  sys.Expect("read").OnFd(5).Returns(0);
  sys.Expect("waitpid").Returns(0);  // not reaped yet
  sys.Expect("poll");                // a short sleep
  sys.Expect("waitpid").IntValue(ExitedWith(exit_code));
  sys.Expect("close").OnFd(5);
}

TEST(LookupLibvirtDomainTest, RunsTheHelperAndReadsItsAnswer) {
  FakeProcessSyscalls sys;
  ExpectHelperRun(sys, R"({"cid":4711,"id":1,"name":"web","uri":"test:///n.xml"})", 0);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "web", "test:///n.xml"}, absl::Seconds(10));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->cid, 4711u);
  EXPECT_THAT(sys.log(),
              ElementsAre("readlink(/proc/self/exe)", "pipe2() = [5, 6]",
                          "spawn(/usr/bin/ssh-socket-proxy-libvirt any web test:///n.xml, out 6)",
                          "close(6)", "poll([5 in], 10000)", "read(5, 16384)",
                          "poll([5 in], 10000)", "read(5, 16384)", "waitpid(4242, WNOHANG)",
                          "poll([], 5)", "waitpid(4242, WNOHANG)", "close(5)"));
}

TEST(LookupLibvirtDomainTest, ScopeWithoutUri) {
  FakeProcessSyscalls sys;
  ExpectHelperRun(sys, R"({"error":"not_found","message":"nope"})", 1);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kSystem, "web", ""}, absl::Seconds(10));
  EXPECT_TRUE(absl::IsNotFound(d.status())) << d.status();
  EXPECT_EQ(sys.log()[2], "spawn(/usr/bin/ssh-socket-proxy-libvirt system web, out 6)");
}

// A helper next to the proxy that is missing (ENOENT) or may not run
// (EACCES) leaves the one in PREFIX/libexec to try.
TEST(LookupLibvirtDomainTest, FallsBackToLibexec) {
  for (const int error : {ENOENT, EACCES}) {
    SCOPED_TRACE(error);
    FakeProcessSyscalls sys;
    sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
    sys.Expect("pipe2").Returns(5);
    sys.Expect("spawn").Fails(error);
    sys.Expect("spawn").Returns(7);
    sys.Expect("close").OnFd(6);
    sys.Expect("poll").Revents(POLLIN);
    sys.Expect("read").Data(R"({"cid":9,"id":2,"name":"b","uri":"u"})");
    sys.Expect("poll").Revents(POLLIN);
    sys.Expect("read").Returns(0);
    sys.Expect("waitpid");
    sys.Expect("close").OnFd(5);
    absl::StatusOr<LibvirtDomain> d =
        LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "b", ""}, absl::Seconds(1));
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->cid, 9u);
    EXPECT_EQ(sys.log()[3],
              "spawn(/usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt any b, out 6)");
  }
}

TEST(LookupLibvirtDomainTest, NoHelperNamesItAndWhereItWasLookedFor) {
  FakeProcessSyscalls sys;
  sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
  sys.Expect("pipe2").Returns(5);
  sys.Expect("spawn").Fails(ENOENT);
  sys.Expect("spawn").Fails(ENOENT);
  sys.Expect("close").OnFd(6);
  sys.Expect("close").OnFd(5);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "b", ""}, absl::Seconds(1));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            "qemu/ needs its lookup helper ssh-socket-proxy-libvirt, which is not at "
            "/usr/bin/ssh-socket-proxy-libvirt nor at "
            "/usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt");
  EXPECT_EQ(net::HintOf(d.status()),
            "install the package ssh-socket-proxy-libvirt (built from source: put it "
            "next to ssh-socket-proxy, or in PREFIX/libexec/ssh-socket-proxy/ for "
            "PREFIX/bin/)");
}

TEST(LookupLibvirtDomainTest, HelperThatMayNotRunSaysWhatToDo) {
  FakeProcessSyscalls sys;
  sys.Expect("readlink").Data("/opt/x/ssh-socket-proxy");
  sys.Expect("pipe2").Returns(5);
  sys.Expect("spawn").Fails(EACCES);
  sys.Expect("close").OnFd(6);
  sys.Expect("close").OnFd(5);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "b", ""}, absl::Seconds(1));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.status().message(),
            "the qemu/ lookup helper /opt/x/ssh-socket-proxy-libvirt may not be run "
            "(Permission denied)");
  EXPECT_EQ(net::ErrnoOf(d.status()), EACCES);
  EXPECT_EQ(net::HintOf(d.status()),
            "make it executable (chmod 755 /opt/x/ssh-socket-proxy-libvirt), or "
            "reinstall ssh-socket-proxy-libvirt");
}

// The helper answered and exited; its status is lost or cannot be had.
void ExpectAnsweredThenWaitPidFails(FakeProcessSyscalls& sys, int error) {
  sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
  sys.Expect("pipe2").Returns(5);
  sys.Expect("spawn").Returns(4242);
  sys.Expect("close").OnFd(6);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("read").Data(R"({"cid":4711,"id":1,"name":"web","uri":"u"})");
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("read").Returns(0);
  sys.Expect("waitpid").Fails(error);
  sys.Expect("close").OnFd(5);
}

TEST(LookupLibvirtDomainTest, ReapedByTheKernelStillAnswers) {
  // SIGCHLD ignored: the kernel reaps the helper, waitpid says ECHILD.
  FakeProcessSyscalls sys;
  ExpectAnsweredThenWaitPidFails(sys, ECHILD);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "web", ""}, absl::Seconds(10));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->cid, 4711u);
}

TEST(LookupLibvirtDomainTest, HelperThatAnswersButLingersIsKilled) {
  FakeProcessSyscalls sys;
  sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
  sys.Expect("pipe2").Returns(5);
  sys.Expect("spawn").Returns(4242);
  sys.Expect("close").OnFd(6);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("read").Data(R"({"cid":4711,"id":1,"name":"web","uri":"u"})");
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("read").Returns(0);
  sys.Expect("waitpid").Returns(0);                  // still running
  sys.Expect("poll").Elapses(absl::Seconds(2));      // the pause, past the deadline
  sys.Expect("kill");
  sys.Expect("waitpid").IntValue(KilledBy(SIGKILL));
  sys.Expect("close").OnFd(5);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "web", ""}, absl::Seconds(2));
  EXPECT_TRUE(absl::IsDeadlineExceeded(d.status())) << d.status();
  EXPECT_EQ(d.status().message(),
            "the qemu/ lookup helper answered but did not exit within 2s");
}

TEST(LookupLibvirtDomainTest, WaitPidErrorIsNotATimeout) {
  FakeProcessSyscalls sys;
  ExpectAnsweredThenWaitPidFails(sys, EINVAL);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "web", ""}, absl::Seconds(10));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << d.status();
  EXPECT_EQ(d.status().message(), "qemu/ lookup: waitpid: Invalid argument");
}

TEST(LookupLibvirtDomainTest, SilentHelperIsKilledAtTheDeadline) {
  FakeProcessSyscalls sys;
  sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
  sys.Expect("pipe2").Returns(5);
  sys.Expect("spawn").Returns(4242);
  sys.Expect("close").OnFd(6);
  sys.Expect("poll").Elapses(absl::Seconds(3)).Returns(0);
  sys.Expect("kill");
  sys.Expect("waitpid").IntValue(KilledBy(SIGKILL));
  sys.Expect("close").OnFd(5);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "web", ""}, absl::Seconds(3));
  EXPECT_TRUE(absl::IsDeadlineExceeded(d.status())) << d.status();
  EXPECT_EQ(d.status().message(),
            "libvirt did not answer about qemu domain 'web' within 3s");
  EXPECT_EQ(sys.log()[4], "poll([5 in], 3000)");
  EXPECT_EQ(sys.log()[5], "kill(4242, SIGKILL)");
  EXPECT_EQ(sys.log()[6], "waitpid(4242)");
}

TEST(LookupLibvirtDomainTest, FloodIsCutOff) {
  FakeProcessSyscalls sys;
  sys.Expect("readlink").Data("/usr/bin/ssh-socket-proxy");
  sys.Expect("pipe2").Returns(5);
  sys.Expect("spawn").Returns(4242);
  sys.Expect("close").OnFd(6);
  const std::string chunk(4096, 'x');
  for (size_t n = 0; n <= libvirt::kMaxAnswer; n += chunk.size()) {
    sys.Expect("poll").Revents(POLLIN);
    sys.Expect("read").Data(chunk);
  }
  sys.Expect("kill");
  sys.Expect("waitpid").IntValue(KilledBy(SIGKILL));
  sys.Expect("close").OnFd(5);
  absl::StatusOr<LibvirtDomain> d =
      LookupLibvirtDomain(sys, {libvirt::Scope::kAny, "web", ""}, absl::Seconds(3));
  EXPECT_TRUE(absl::IsDataLoss(d.status())) << d.status();
}

}  // namespace
}  // namespace sshproxy::lookup
