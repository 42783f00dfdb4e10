// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/relay.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  // F_SETPIPE_SZ, F_GETPIPE_SZ
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/error.h"
#include "net/posix_syscalls.h"
#include "net/testing/fake_syscalls.h"
#include "net/testing/relay_setup.h"

namespace sshproxy::net {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen());
  return s;
}

void WriteAllOrDie(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t w = write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    ASSERT_GT(w, 0) << strerror(errno);
    off += static_cast<size_t>(w);
  }
}

std::string ReadToEof(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// ---------------------------------------------------------------------------
// The real kernel: ssh's pipes on one side, and on the other an AF_UNIX
// socketpair or a loopback TCP connection (machine/ VMs known by their
// sshAddress are reached over TCP).

enum class Transport { kUnix, kTcp };

std::string TransportName(const ::testing::TestParamInfo<Transport>& info) {
  return info.param == Transport::kUnix ? "Unix" : "Tcp";
}

// A connected stream pair: sv[0] for the relay, sv[1] for the guest.
void ConnectedPair(Transport t, int sv[2]) {
  if (t == Transport::kUnix) {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    return;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(sv[0], reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  sv[1] = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(sv[1], 0);
  close(listener);
}

class RelayPosixTest : public ::testing::TestWithParam<Transport> {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    ASSERT_EQ(pipe2(in_, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(out_, O_CLOEXEC), 0);
    ConnectedPair(GetParam(), sock_);
  }
  void TearDown() override {
    for (int fd : {in_[0], in_[1], out_[0], out_[1], sock_[0], sock_[1]}) close(fd);
  }
  void CloseGuest() {
    close(sock_[1]);
    sock_[1] = -1;
  }
  // Once Relay has returned: whatever it did, no thread of the test may stay
  // blocked on it (a failing relay must fail the test, not hang it).
  void AfterRelay(const absl::Status& s) {
    if (!s.ok()) close(out_[1]);  // Relay closes it only on success
    out_[1] = -1;
    shutdown(sock_[0], SHUT_RDWR);
    close(in_[0]);
    in_[0] = -1;
  }
  int in_[2], out_[2], sock_[2] = {-1, -1};  // relay gets in_[0], out_[1], sock_[0]
  PosixSyscalls sys_;
};

INSTANTIATE_TEST_SUITE_P(Transports, RelayPosixTest,
                         ::testing::Values(Transport::kUnix, Transport::kTcp),
                         TransportName);

TEST_P(RelayPosixTest, BothWaysWithoutLosingAByteAndHalfCloses) {
  const std::string up = RandomBytes(24 << 20, 1);
  const std::string down = RandomBytes(16 << 20, 2);
  std::string got_up, got_down;
  // ssh writes the session, then closes its write end (EOF on our stdin).
  std::thread ssh_writer([&] { WriteAllOrDie(in_[1], up); close(in_[1]); in_[1] = -1; });
  std::thread ssh_reader([&] { got_down = ReadToEof(out_[0]); });
  // The guest reads until EOF (our shutdown), then answers and closes.
  std::thread guest([&] {
    got_up = ReadToEof(sock_[1]);
    WriteAllOrDie(sock_[1], down);
    CloseGuest();
  });
  RelayStats stats;
  absl::Status s = Relay(sys_, in_[0], out_[1], sock_[0], &stats);
  AfterRelay(s);
  ssh_writer.join();
  guest.join();
  ssh_reader.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(got_up == up) << got_up.size() << " of " << up.size();
  EXPECT_TRUE(got_down == down) << got_down.size() << " of " << down.size();
  EXPECT_EQ(stats.to_socket, up.size());
  EXPECT_EQ(stats.from_socket, down.size());
  EXPECT_TRUE(stats.spliced);
}

TEST_P(RelayPosixTest, GuestClosesFirst) {
  const std::string down = RandomBytes(3 << 20, 3);
  std::string got_down;
  std::thread ssh_reader([&] { got_down = ReadToEof(out_[0]); });
  std::thread guest([&] {
    WriteAllOrDie(sock_[1], down);
    CloseGuest();
  });
  // ssh keeps stdin open and says nothing: the relay must still end.
  absl::Status s = Relay(sys_, in_[0], out_[1], sock_[0]);
  AfterRelay(s);
  guest.join();
  ssh_reader.join();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(got_down == down);
}

TEST_P(RelayPosixTest, InteractiveExchange) {
  // Request, response, request...: nothing may wait for a full buffer.
  std::thread guest([&] {
    char buf[64];
    for (int i = 0; i < 50; ++i) {
      ssize_t n = read(sock_[1], buf, sizeof(buf));
      ASSERT_GT(n, 0);
      std::string reply = "re:" + std::string(buf, static_cast<size_t>(n));
      WriteAllOrDie(sock_[1], reply);
    }
    CloseGuest();
  });
  std::thread ssh([&] {
    char buf[64];
    for (int i = 0; i < 50; ++i) {
      std::string msg = "ping" + std::to_string(i);
      WriteAllOrDie(in_[1], msg);
      ssize_t n = read(out_[0], buf, sizeof(buf));
      ASSERT_EQ(std::string(buf, static_cast<size_t>(n)), "re:" + msg);
    }
  });
  absl::Status s = Relay(sys_, in_[0], out_[1], sock_[0]);
  AfterRelay(s);
  ssh.join();
  guest.join();
  EXPECT_TRUE(s.ok()) << s;
}

// A keystroke's round trip. With SPLICE_F_MORE a TCP relay held every small
// write back until the kernel's 200 ms cork timer; a round trip here takes
// well under a millisecond. The bound is half the cork, for the median of
// 21 rounds, so a loaded machine cannot make it flaky.
TEST_P(RelayPosixTest, SmallWritesAreNotHeldBack) {
  constexpr int kRounds = 21;
  std::thread guest([&] {  // echoes every byte
    char c;
    while (read(sock_[1], &c, 1) == 1) {
      if (write(sock_[1], &c, 1) != 1) break;
    }
    CloseGuest();
  });
  absl::Status s;
  std::thread relay([&] { s = Relay(sys_, in_[0], out_[1], sock_[0]); });
  std::vector<double> ms;
  for (int i = 0; i < kRounds; ++i) {
    const char c = static_cast<char>('a' + i);
    char back = 0;
    const auto t0 = std::chrono::steady_clock::now();
    if (write(in_[1], &c, 1) != 1) break;
    pollfd p = {out_[0], POLLIN, 0};
    if (poll(&p, 1, 10000) != 1 || read(out_[0], &back, 1) != 1) break;
    ms.push_back(std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - t0).count());
    EXPECT_EQ(back, c);
  }
  close(in_[1]);  // EOF: the relay shuts the socket down, the guest closes
  in_[1] = -1;
  relay.join();
  AfterRelay(s);
  guest.join();
  ASSERT_EQ(ms.size(), static_cast<size_t>(kRounds)) << "a byte did not come back";
  ASSERT_TRUE(s.ok()) << s;
  std::sort(ms.begin(), ms.end());
  EXPECT_LT(ms[kRounds / 2], 100.0) << "median round trip in ms; slowest " << ms.back();
}

TEST_P(RelayPosixTest, SshStopsReading) {
  close(out_[0]);  // ssh is gone: writes to stdout fail with EPIPE
  out_[0] = -1;
  // The relay may end before or after the banner arrives: either way, OK.
  std::thread guest([&] { (void)!write(sock_[1], "banner\r\n", 8); });
  absl::Status s = Relay(sys_, in_[0], out_[1], sock_[0]);
  AfterRelay(s);
  guest.join();
  EXPECT_TRUE(s.ok()) << s;
}

// Descriptors the kernel will not splice to or from directly.
class RelayFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock_), 0);
    const char* dir = getenv("TEST_TMPDIR");
    path_ = absl::StrCat(dir != nullptr ? dir : "/tmp", "/relay_file_test.", getpid());
  }
  void TearDown() override {
    for (int fd : {sock_[0], sock_[1]}) close(fd);
    unlink(path_.c_str());
  }
  int sock_[2];
  std::string path_;
  PosixSyscalls sys_;
};

TEST_F(RelayFileTest, AppendOnlyStdoutGetsEveryByte) {
  // `ssh-socket-proxy ... >>log`: splice refuses O_APPEND files, also from
  // our own pipe after splice into it worked, so the bytes already in that
  // pipe must come out by read/write.
  int out = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(out, 0);
  int in[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  const std::string down = RandomBytes(3 << 20, 4);
  std::thread guest([&] {
    WriteAllOrDie(sock_[1], down);
    close(sock_[1]);
    sock_[1] = -1;
  });
  RelayStats stats;
  absl::Status s = Relay(sys_, in[0], out, sock_[0], &stats);
  if (!s.ok()) close(out);  // Relay closes it only on success
  shutdown(sock_[0], SHUT_RDWR);  // a failed relay must not leave the guest blocked
  guest.join();
  close(in[0]);
  close(in[1]);
  ASSERT_TRUE(s.ok()) << s;
  int back = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_TRUE(ReadToEof(back) == down);
  close(back);
  EXPECT_EQ(stats.from_socket, down.size());
  EXPECT_FALSE(stats.spliced);
}

TEST_F(RelayFileTest, StdinFromAFile) {
  // `ssh-socket-proxy ... <request`: neither end is a pipe, so the bytes go
  // through a pipe of ours.
  const std::string up = RandomBytes(2 << 20, 5);
  int file = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);
  WriteAllOrDie(file, up);
  ASSERT_EQ(lseek(file, 0, SEEK_SET), 0);
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  std::string got_up;
  std::thread guest([&] {
    got_up = ReadToEof(sock_[1]);  // until the relay's shutdown
    close(sock_[1]);
    sock_[1] = -1;
  });
  RelayStats stats;
  absl::Status s = Relay(sys_, file, out[1], sock_[0], &stats);
  if (!s.ok()) close(out[1]);
  shutdown(sock_[0], SHUT_RDWR);
  guest.join();
  close(file);
  close(out[0]);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(got_up == up) << got_up.size() << " of " << up.size();
  EXPECT_TRUE(stats.spliced);
}

// ---------------------------------------------------------------------------
// The user's pipe budget (/proc/sys/fs/pipe-user-pages-soft): once a user's
// pipes pass it, every new pipe of that user gets 8 KiB instead of 64 KiB.
// Relays of an unprivileged user must never push it there. Runs as root, in
// a child that becomes a user of its own (root is exempt from the limit; a
// shared user such as nobody would share its budget with whatever else runs
// as nobody, this test's other runs included).

constexpr int kBulkRelays = 100;         // 1 MiB pipes used the budget up at ~32
constexpr int kInteractiveRelays = 100;  // and ssh's own pipes count too
// An unprivileged uid that nothing else on the machine uses.
uid_t UserOfOurOwn() { return 3000000000u + static_cast<uid_t>(getpid()); }

struct RelayUnderTest {
  int in[2], out[2], sock[2];
  std::thread relay, guest;
};

// Starts a relay whose guest echoes everything back.
std::string StartEchoRelay(PosixSyscalls& sys, RelayUnderTest& r) {
  if (pipe2(r.in, O_CLOEXEC) != 0 || pipe2(r.out, O_CLOEXEC) != 0 ||
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, r.sock) != 0) {
    return absl::StrCat("setting up a relay: ", strerror(errno));
  }
  r.relay = std::thread([&sys, &r] { (void)Relay(sys, r.in[0], r.out[1], r.sock[0]); });
  r.guest = std::thread([&r] {
    char buf[65536];
    ssize_t n;
    while ((n = read(r.sock[1], buf, sizeof(buf))) > 0) {
      if (write(r.sock[1], buf, static_cast<size_t>(n)) != n) break;  // blocking: all
    }
    shutdown(r.sock[1], SHUT_WR);
  });
  return "";
}

// `bytes` through the relay and back; "" if they all came back.
std::string EchoThrough(RelayUnderTest& r, size_t bytes) {
  const std::string sent = RandomBytes(bytes, static_cast<uint32_t>(bytes));
  std::thread writer([&] { WriteAllOrDie(r.in[1], sent); });
  std::string got(bytes, '\0');
  size_t off = 0;
  while (off < bytes) {
    ssize_t n = read(r.out[0], &got[off], bytes - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  writer.join();
  return got == sent ? "" : absl::StrCat("echo of ", bytes, " bytes: ", off, " came back");
}

// In the child, as UserOfOurOwn(). Returns what went wrong, or "" if nothing did.
std::string ManyRelaysAsAUser(std::string* summary) {
  PosixSyscalls sys;
  std::vector<std::unique_ptr<RelayUnderTest>> relays;
  int grown = 0;
  std::string why;
  for (int i = 0; i < kBulkRelays + kInteractiveRelays && why.empty(); ++i) {
    relays.push_back(std::make_unique<RelayUnderTest>());
    RelayUnderTest& r = *relays.back();
    why = StartEchoRelay(sys, r);
    if (why.empty()) why = EchoThrough(r, i < kBulkRelays ? (1 << 20) : 1);
    if (fcntl(r.in[1], F_GETPIPE_SZ) > 65536) ++grown;
  }
  int fresh[2];
  if (why.empty() && pipe2(fresh, O_CLOEXEC) != 0) why = absl::StrCat("pipe2: ", strerror(errno));
  const int fresh_size = why.empty() ? fcntl(fresh[1], F_GETPIPE_SZ) : -1;
  if (why.empty()) {
    close(fresh[0]);
    close(fresh[1]);
  }
  for (auto& r : relays) {
    close(r->in[1]);  // ssh is done: the guest sees EOF, answers EOF, all end
    if (r->relay.joinable()) r->relay.join();
    if (r->guest.joinable()) r->guest.join();
    for (int fd : {r->in[0], r->out[0], r->sock[0], r->sock[1]}) close(fd);
  }
  *summary = absl::StrCat(kBulkRelays, " bulk and ", kInteractiveRelays,
                          " interactive relays, ", grown, " grew their pipes");
  if (!why.empty()) return why;
  if (fresh_size != 65536) {
    return absl::StrCat("with ", *summary, ", a fresh pipe holds ", fresh_size,
                        " bytes, not 65536");
  }
  if (grown == 0) return "no relay grew its pipes: bulk would run at a fifth of the speed";
  return "";
}

TEST(RelayPipeBudgetTest, ManyRelaysOfOneUserLeaveItsNewPipesAlone) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(40);  // never hang: SIGALRM kills the child, the parent sees it
    close(report[0]);
    rlimit files = {4096, 4096};
    const uid_t user = UserOfOurOwn();
    std::string why;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0 || setgroups(0, nullptr) != 0 ||
        setgid(user) != 0 || setuid(user) != 0) {
      why = absl::StrCat("becoming uid ", user, ": ", strerror(errno));
    } else {
      std::string summary;
      why = ManyRelaysAsAUser(&summary);
      if (why.empty()) why = "ok: " + summary;
    }
    (void)!write(report[1], why.data(), why.size());
    _exit(0);
  }
  close(report[1]);
  const std::string why = ReadToEof(report[0]);
  close(report[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died: status " << status << "; " << why;
  EXPECT_THAT(why, ::testing::StartsWith("ok: ")) << why;
  std::printf("%s\n", why.c_str());
}

// ---------------------------------------------------------------------------
// A scripted kernel: every path and every error, with the exact calls.

// splice(3 -> 1) finds the socket empty: wait for it to be readable.
void ExpectDownIdle(FakeSyscalls& sys) { sys.Expect("splice").OnFd(3).Fails(EAGAIN); }

TEST(RelayFakeTest, InteractiveSessionsAndGrownPipesAreLeftAlone) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Returns(65535);  // not a full pipe: no probe
  sys.Expect("splice").OnFd(0).Returns(131072);  // a pipe the caller grew: leave it
  sys.Expect("splice").OnFd(0).Returns(65536);  // and never look again
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(100);  // a small move: wait, no EAGAIN probe
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  ASSERT_TRUE(Relay(sys, 0, 1, 3, &stats).ok());
  EXPECT_EQ(stats.grown_to, 0);
  EXPECT_THAT(sys.log(), Contains("poll([3 in], -1)"));
}

TEST(RelayFakeTest, BulkGrowsItsPipeOnceWhenTheUserHasRoom) {
  struct Case {
    PipeRoom room;
    int grown_to;
  };
  for (const Case& c : {Case{PipeRoom::kRoom, 262144}, Case{PipeRoom::kNoRoom, 0}}) {
    FakeSyscalls sys;
    sys.Adopt(1);
    ExpectRelaySetup(sys, 3);
    sys.Expect("splice").OnFd(0).Returns(65536);  // ssh filled its pipe
    ExpectGrowth(sys, 0, c.room);
    sys.Expect("splice").OnFd(0).Returns(65536);  // once is enough
    sys.Expect("splice").OnFd(0).Returns(0);
    sys.Expect("splice").OnFd(3).Returns(65536);  // the guest filled stdout
    ExpectGrowth(sys, 1, c.room);
    sys.Expect("splice").OnFd(3).Returns(0);
    sys.Expect("shutdown").OnFd(3);
    sys.Expect("close").OnFd(1);
    RelayStats stats;
    ASSERT_TRUE(Relay(sys, 0, 1, 3, &stats).ok());
    EXPECT_EQ(stats.grown_to, c.grown_to);
    // Room means a quarter of the budget: 1024 pages / 4 = one 1 MiB probe.
    EXPECT_THAT(sys.log(), Contains(absl::StrCat("fcntl(6, ", F_SETPIPE_SZ, ", 1048576)")));
    if (c.room == PipeRoom::kRoom) {
      EXPECT_THAT(sys.log(), Contains(absl::StrCat("fcntl(0, ", F_SETPIPE_SZ, ", 262144)")));
      EXPECT_THAT(sys.log(), Contains(absl::StrCat("fcntl(1, ", F_SETPIPE_SZ, ", 262144)")));
    }
  }
}

TEST(RelayFakeTest, TheProbeHoldsAQuarterOfTheBudget) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Returns(65536);
  sys.Expect("open").Returns(4);
  sys.Expect("read").OnFd(4).Data("4096\n");  // 1024 pages free: 4 probes
  sys.Expect("close").OnFd(4);
  for (int fd : {10, 12, 14}) {
    sys.Expect("pipe2").Returns(fd);
    sys.Expect("fcntl").OnFd(fd + 1);
  }
  sys.Expect("pipe2").Returns(16);
  sys.Expect("fcntl").OnFd(17).Fails(EPERM);  // the 4th does not fit: no room
  for (int fd = 10; fd <= 17; ++fd) sys.Expect("close").OnFd(fd);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  ASSERT_TRUE(Relay(sys, 0, 1, 3, &stats).ok());
  EXPECT_EQ(stats.grown_to, 0);
}

TEST(RelayFakeTest, NoBudgetFileOrNoProbePipeMeansNoGrowthNotFailure) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Returns(65536);
  sys.Expect("open").Fails(ENOENT);  // no /proc: the kernel's default, 16 probes
  sys.Expect("pipe2").Fails(EMFILE);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  EXPECT_TRUE(Relay(sys, 0, 1, 3).ok());
}

TEST(RelayFakeTest, OurOwnPipeGrowsWhenNeitherEndIsAPipe) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Fails(EINVAL);  // stdin is a file
  sys.Expect("pipe2").Returns(7);
  sys.Expect("splice").OnFd(0).Returns(65536);
  ExpectGrowth(sys, 8);
  sys.Expect("splice").OnFd(7).Returns(65536);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  sys.Expect("close").OnFd(8);
  sys.Expect("close").OnFd(7);
  RelayStats stats;
  ASSERT_TRUE(Relay(sys, 0, 1, 3, &stats).ok());
  EXPECT_EQ(stats.grown_to, 262144);
  EXPECT_EQ(stats.to_socket, 65536u);
}

TEST(RelayFakeTest, FallsBackToReadWriteAndHalfClosesOnStdinEof) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  // stdin (a terminal, say) refuses splice, straight and through a pipe:
  // read/write it is, each read after poll.
  sys.Expect("splice").OnFd(0).Fails(EINVAL);
  sys.Expect("pipe2").Returns(7);
  sys.Expect("splice").OnFd(0).Fails(EINVAL);
  sys.Expect("close").OnFd(7);
  sys.Expect("close").OnFd(8);
  ExpectDownIdle(sys);
  sys.Expect("poll").Fails(EINTR);  // a signal: poll again
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("read").OnFd(0).Data("hello");
  sys.Expect("write").OnFd(3).Returns(2);  // a short write
  sys.Expect("write").OnFd(3).Fails(EINTR);
  sys.Expect("write").OnFd(3).Fails(EAGAIN);  // the socket is full
  sys.Expect("splice").OnFd(3).Returns(4);  // small: wait for more, no EAGAIN probe
  sys.Expect("poll").Revents(POLLOUT);
  sys.Expect("write").OnFd(3);
  // The socket was said readable, yet nothing: stdout must be full.
  sys.Expect("splice").OnFd(3).Fails(EAGAIN);
  sys.Expect("poll").Revents(POLLIN | POLLOUT);
  sys.Expect("read").OnFd(0).Returns(0);  // ssh is done talking
  sys.Expect("splice").OnFd(3).Returns(0);  // and so is the guest
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  absl::Status s = Relay(sys, 0, 1, 3, &stats);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(sys.log(), Contains("write(3, \"hello\")"));
  EXPECT_THAT(sys.log(), Contains("write(3, \"llo\")"));
  EXPECT_THAT(sys.log(), Contains("poll([0 in, 3 in], -1)"));
  EXPECT_THAT(sys.log(), Contains("poll([3 out, 3 in], -1)"));
  EXPECT_THAT(sys.log(), Contains("poll([0 in, 1 out], -1)"));
  EXPECT_THAT(sys.log(), Contains("shutdown(3, SHUT_WR)"));
  EXPECT_EQ(stats.to_socket, 5u);
  EXPECT_EQ(stats.from_socket, 4u);
  EXPECT_FALSE(stats.spliced);
}

// A keystroke each way costs one poll and one splice per hop: after a
// small move the source is taken for drained, so no call asks it again only
// to hear EAGAIN (that was 6 calls a round trip, now 4).
TEST(RelayFakeTest, AKeystrokeIsOnePollAndOneSplicePerHop) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  ExpectDownIdle(sys);
  for (int i = 0; i < 3; ++i) {
    sys.Expect("poll").Revents(POLLIN);
    sys.Expect("splice").OnFd(0).Returns(1);
    sys.Expect("splice").OnFd(3).Returns(1);
  }
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  ASSERT_TRUE(Relay(sys, 0, 1, 3, &stats).ok());
  EXPECT_EQ(stats.to_socket, 3u);
  EXPECT_EQ(stats.from_socket, 3u);
}

// A small move that stopped because dst was full, not because src ran
// dry: poll finds src still readable, the next splice hears EAGAIN, and the
// relay waits for dst. Nothing stalls, nothing spins.
TEST(RelayFakeTest, ASmallMoveIntoAFullDestinationStillWaitsForIt) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Returns(100);  // the socket had room for 100 bytes
  ExpectDownIdle(sys);
  sys.Expect("poll").Revents(POLLIN);  // stdin still holds the rest
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  sys.Expect("splice").OnFd(3).Fails(EAGAIN);  // (stdout full as well)
  sys.Expect("poll").Revents(POLLOUT);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  ASSERT_TRUE(Relay(sys, 0, 1, 3).ok());
  EXPECT_THAT(sys.log(), Contains("poll([0 in, 3 in], -1)"));
  EXPECT_THAT(sys.log(), Contains("poll([3 out, 1 out], -1)"));
}

TEST(RelayFakeTest, DirectSpliceWaitsForTheSideThatIsStuck) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  // Nothing moves: stdin is taken for empty, so the relay waits for it...
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  ExpectDownIdle(sys);
  sys.Expect("poll").Revents(POLLIN);
  // ...but stdin has data and still nothing moves: the socket is full (and
  // the same for the other direction: stdout is full).
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  sys.Expect("splice").OnFd(3).Fails(EAGAIN);
  sys.Expect("poll").Revents(POLLOUT);
  sys.Expect("splice").OnFd(0).Returns(4096);
  sys.Expect("splice").OnFd(0).Fails(EINTR);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  ASSERT_TRUE(Relay(sys, 0, 1, 3, &stats).ok());
  EXPECT_THAT(sys.log(), Contains("poll([0 in, 3 in], -1)"));
  EXPECT_THAT(sys.log(), Contains("poll([3 out, 1 out], -1)"));
  EXPECT_EQ(stats.to_socket, 4096u);
  EXPECT_TRUE(stats.spliced);
}

TEST(RelayFakeTest, BulkOneWayNeverStarvesTheOther) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  // ssh keeps the pipe full: after its turn, upload is still runnable...
  for (int i = 0; i < 16; ++i) sys.Expect("splice").OnFd(0);
  sys.Expect("splice").OnFd(3).Fails(EAGAIN);
  // ...so the socket is looked at without sleeping, and gets its turn.
  sys.Expect("poll").OnFd(3).Revents(POLLIN);
  sys.Expect("splice").OnFd(0).Returns(0);
  sys.Expect("splice").OnFd(3).Returns(5);
  sys.Expect("shutdown").OnFd(3);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("splice").OnFd(3).Returns(0);
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  ASSERT_TRUE(Relay(sys, 0, 1, 3, &stats).ok());
  EXPECT_THAT(sys.log(), Contains("poll([3 in], 0)"));
  EXPECT_EQ(stats.to_socket, 16u << 20);
  EXPECT_EQ(stats.from_socket, 5u);
  EXPECT_EQ(stats.grown_to, 0);  // 1 MiB at once: the caller's pipe is big already
}

TEST(RelayFakeTest, PipeFallbackWriteSideRefusedKeepsTheBytes) {
  // stdout is an O_APPEND file: splice into it fails even from our pipe,
  // after the bytes are in the pipe. They are read back and written.
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  sys.Expect("splice").OnFd(3).Fails(EINVAL);  // socket -> file: no
  sys.Expect("pipe2").Returns(7);
  sys.Expect("splice").OnFd(3).Returns(5);   // socket -> our pipe: yes
  sys.Expect("splice").OnFd(7).Fails(EINVAL);  // our pipe -> file: no
  sys.Expect("read").OnFd(7).Data("hel");    // short reads of our pipe
  sys.Expect("read").OnFd(7).Fails(EINTR);
  sys.Expect("read").OnFd(7).Data("lo");
  sys.Expect("close").OnFd(7);
  sys.Expect("close").OnFd(8);
  sys.Expect("write").OnFd(1);
  sys.Expect("poll").Revents(POLLIN);  // [0 in, 3 in]: both wake
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  sys.Expect("read").OnFd(3).Returns(0);  // the guest is done
  sys.Expect("close").OnFd(1);
  RelayStats stats;
  absl::Status s = Relay(sys, 0, 1, 3, &stats);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(sys.log(), Contains("write(1, \"hello\")"));
  EXPECT_EQ(stats.from_socket, 5u);
}

TEST(RelayFakeTest, ResetsAndGoneReadersEndADirectionCleanly) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Fails(EPIPE);  // the guest shut its read side
  sys.Expect("splice").OnFd(3).Returns(100);
  sys.Expect("shutdown").OnFd(3).Fails(ENOTCONN);  // and the guest is gone: fine
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("splice").OnFd(3).Fails(EPIPE);  // ssh closed our stdout
  sys.Expect("close").OnFd(1);
  EXPECT_TRUE(Relay(sys, 0, 1, 3).ok());
}

TEST(RelayFakeTest, ASocketResetInCopyModeIsTheEnd) {
  FakeSyscalls sys;
  sys.Adopt(1);
  ExpectRelaySetup(sys, 3);
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  sys.Expect("splice").OnFd(3).Fails(EINVAL);
  sys.Expect("pipe2").Returns(7);
  sys.Expect("splice").OnFd(3).Fails(ENOSYS);
  sys.Expect("close").OnFd(7);
  sys.Expect("close").OnFd(8);
  sys.Expect("poll").Revents(POLLIN);
  sys.Expect("splice").OnFd(0).Fails(EAGAIN);
  sys.Expect("read").OnFd(3).Fails(ECONNRESET);
  sys.Expect("close").OnFd(1);
  EXPECT_TRUE(Relay(sys, 0, 1, 3).ok());
}

// Failures that lose data: one line naming the direction and the call, the
// relay's own descriptors closed (the fake aborts on a leak), stdout left
// to the caller.
struct FailureCase {
  const char* name;
  std::function<void(FakeSyscalls&)> script;  // after the set-up
  const char* message;
};

void StuckDirectOnStdin(FakeSyscalls& sys) {
  sys.Expect("splice").OnFd(0).Fails(EINVAL);
  sys.Expect("pipe2").Returns(7);
}

TEST(RelayFakeTest, EveryFailureIsOneLineThatNamesWhatFailed) {
  const FailureCase cases[] = {
      {"direct splice up",
       [](FakeSyscalls& sys) { sys.Expect("splice").OnFd(0).Fails(EIO); },
       "relay stdin to socket: splice: Input/output error"},
      {"direct splice down",
       [](FakeSyscalls& sys) {
         sys.Expect("splice").OnFd(0).Fails(EAGAIN);
         sys.Expect("splice").OnFd(3).Fails(ENOMEM);
       },
       "relay socket to stdout: splice: Cannot allocate memory"},
      {"splice refused after bytes moved",
       [](FakeSyscalls& sys) {
         sys.Expect("splice").OnFd(0).Returns(8192);
         sys.Expect("splice").OnFd(0).Fails(EINVAL);
       },
       "relay stdin to socket: splice: Invalid argument"},
      {"our pipe",
       [](FakeSyscalls& sys) {
         sys.Expect("splice").OnFd(0).Fails(EINVAL);
         sys.Expect("pipe2").Fails(EMFILE);
       },
       "relay stdin to socket: pipe2: Too many open files"},
      {"splice into our pipe",
       [](FakeSyscalls& sys) {
         StuckDirectOnStdin(sys);
         sys.Expect("splice").OnFd(0).Fails(EIO);
         sys.Expect("close").OnFd(8);
         sys.Expect("close").OnFd(7);
       },
       "relay stdin to socket: splice in: Input/output error"},
      {"splice out of our pipe",
       [](FakeSyscalls& sys) {
         StuckDirectOnStdin(sys);
         sys.Expect("splice").OnFd(0).Returns(3);
         sys.Expect("splice").OnFd(7).Fails(ENOBUFS);
         sys.Expect("close").OnFd(8);
         sys.Expect("close").OnFd(7);
       },
       "relay stdin to socket: splice out: No buffer space available"},
      {"reading our pipe back",
       [](FakeSyscalls& sys) {
         StuckDirectOnStdin(sys);
         sys.Expect("splice").OnFd(0).Returns(3);
         sys.Expect("splice").OnFd(7).Fails(EINVAL);
         sys.Expect("read").OnFd(7).Fails(EIO);
         sys.Expect("close").OnFd(8);
         sys.Expect("close").OnFd(7);
       },
       "relay stdin to socket: read back from our pipe: Input/output error"},
      {"our pipe holds less than it took",
       [](FakeSyscalls& sys) {
         StuckDirectOnStdin(sys);
         sys.Expect("splice").OnFd(0).Returns(3);
         sys.Expect("splice").OnFd(7).Fails(EINVAL);
         sys.Expect("read").OnFd(7).Returns(0);
         sys.Expect("close").OnFd(8);
         sys.Expect("close").OnFd(7);
       },
       "relay stdin to socket: read back from our pipe: Input/output error"},
      {"read in copy mode",
       [](FakeSyscalls& sys) {
         StuckDirectOnStdin(sys);
         sys.Expect("splice").OnFd(0).Fails(EINVAL);
         sys.Expect("close").OnFd(7);
         sys.Expect("close").OnFd(8);
         ExpectDownIdle(sys);
         sys.Expect("poll").Revents(POLLIN);
         sys.Expect("read").OnFd(0).Fails(EIO);
       },
       "relay stdin to socket: read: Input/output error"},
      {"write in copy mode",
       [](FakeSyscalls& sys) {
         StuckDirectOnStdin(sys);
         sys.Expect("splice").OnFd(0).Fails(EINVAL);
         sys.Expect("close").OnFd(7);
         sys.Expect("close").OnFd(8);
         ExpectDownIdle(sys);
         sys.Expect("poll").Revents(POLLIN);
         sys.Expect("read").OnFd(0).Data("x");
         sys.Expect("write").OnFd(3).Fails(ENOSPC);
       },
       "relay stdin to socket: write: No space left on device"},
      {"poll",
       [](FakeSyscalls& sys) {
         sys.Expect("splice").OnFd(0).Fails(EAGAIN);
         ExpectDownIdle(sys);
         sys.Expect("poll").Fails(ENOMEM);
       },
       "relay: poll: Cannot allocate memory"},
      {"shutdown",
       [](FakeSyscalls& sys) {
         sys.Expect("splice").OnFd(0).Returns(0);
         sys.Expect("splice").OnFd(3).Fails(EAGAIN);
         sys.Expect("shutdown").OnFd(3).Fails(ENOTSOCK);
       },
       "relay: shutdown(SHUT_WR) after stdin ended: Socket operation on non-socket"},
  };
  for (const FailureCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSyscalls sys;  // its destructor checks every script ran, no fd leaked
    ExpectRelaySetup(sys, 3);
    c.script(sys);
    absl::Status s = Relay(sys, 0, 1, 3);
    EXPECT_EQ(s.message(), c.message);
    EXPECT_NE(ErrnoOf(s), 0);  // every case is a failed system call
    EXPECT_EQ(sys.pending(), 0u);
    EXPECT_TRUE(sys.open_fds().empty());
  }
}

TEST(RelayFakeTest, TheSocketCannotBeMadeNonBlocking) {
  struct Case {
    int getfl_error, setfl_error;
    const char* message;
  };
  for (const Case& c : {Case{EBADF, 0, "relay: O_NONBLOCK on the socket: Bad file descriptor"},
                        Case{0, EINVAL, "relay: O_NONBLOCK on the socket: Invalid argument"}}) {
    FakeSyscalls sys;
    if (c.getfl_error != 0) {
      sys.Expect("fcntl").OnFd(3).Fails(c.getfl_error);
    } else {
      sys.Expect("fcntl").OnFd(3).Returns(O_RDWR);
      sys.Expect("fcntl").OnFd(3).Fails(c.setfl_error);
    }
    EXPECT_EQ(Relay(sys, 0, 1, 3).message(), c.message);
  }
}

}  // namespace
}  // namespace sshproxy::net
