// Copyright 2026 The ssh-socket-proxy Authors.
//
// The fault matrix outside the relay: every system call of the hand-over,
// the vsock-mux handshake, the stdout checks and the
// standard-descriptor guard, failing in each way it can (ENOENT, EACCES,
// ECONNREFUSED, EINTR, EAGAIN, EPIPE, short I/O...). Each row scripts the
// calls up to the end; FakeSyscalls aborts on any call not scripted (so a
// retry loop cannot spin: no hangs) and on a descriptor left open (no leaks).
// Every failure must be one line. The connect path has its own table in
// connect_test.cc.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/error.h"
#include "net/handover.h"
#include "net/io.h"
#include "net/mux.h"
#include "net/standard_fds.h"
#include "net/testing/fake_syscalls.h"
#include "net/testing/fault_table.h"

namespace sshproxy::net {
namespace {

// ---- WriteAll (net/io.h) ----

const Row kWriteAll[] = {
    {"whole", [](FakeSyscalls& s) { s.Expect("write").OnFd(3); }, absl::StatusCode::kOk, nullptr},
    {"short_writes",
     [](FakeSyscalls& s) {
       s.Expect("write").Returns(3);
       s.Expect("write").Returns(1);
       s.Expect("write").Returns(6);
     },
     absl::StatusCode::kOk, nullptr},
    {"eintr",
     [](FakeSyscalls& s) {
       s.Expect("write").Fails(EINTR);
       s.Expect("write");
     },
     absl::StatusCode::kOk, nullptr},
    {"eagain_waits",
     [](FakeSyscalls& s) {
       s.Expect("write").Fails(EAGAIN);
       s.Expect("poll").OnFd(3).Fails(EINTR);  // waits on
       s.Expect("poll").OnFd(3).Revents(POLLOUT);
       s.Expect("write").Fails(EAGAIN);
       s.Expect("poll").OnFd(3).Revents(POLLOUT);
       s.Expect("write");
     },
     absl::StatusCode::kOk, nullptr},
    {"eagain_past_the_deadline",
     [](FakeSyscalls& s) {
       s.Expect("write").Returns(4);
       s.Expect("write").Fails(EAGAIN);
       s.Expect("poll").OnFd(3).Returns(0).Elapses(absl::Seconds(5));
     },
     absl::StatusCode::kDeadlineExceeded, "write: timed out"},
    {"poll_fails",
     [](FakeSyscalls& s) {
       s.Expect("write").Fails(EAGAIN);
       s.Expect("poll").Fails(ENOMEM);
     },
     absl::StatusCode::kResourceExhausted, "poll: Cannot allocate memory"},
    {"epipe",
     [](FakeSyscalls& s) {
       s.Expect("write").Returns(4);
       s.Expect("write").Fails(EPIPE);
     },
     absl::StatusCode::kFailedPrecondition, "write: Broken pipe"},
    {"reset", [](FakeSyscalls& s) { s.Expect("write").Fails(ECONNRESET); },
     absl::StatusCode::kUnavailable, "write: Connection reset by peer"},
};

TEST(FaultTest, WriteAll) {
  RunTable(kWriteAll, [](FakeSyscalls& sys) {
    return WriteAll(sys, 3, "CONNECT 22", sys.Now() + absl::Seconds(5));
  });
}

// ---- SendFd, IsUnixSocket, PeerIsSsh (net/handover.h) ----

const Row kSendFd[] = {
    {"eintr_then_sent",
     [](FakeSyscalls& s) {
       s.Expect("sendmsg").Fails(EINTR);
       s.Expect("sendmsg");
     },
     absl::StatusCode::kOk, nullptr},
    {"eagain_poll_eintr_then_sent",
     [](FakeSyscalls& s) {
       s.Expect("sendmsg").Fails(EAGAIN);
       s.Expect("poll").OnFd(1).Fails(EINTR);  // waits on
       s.Expect("poll").OnFd(1).Revents(POLLOUT);
       s.Expect("sendmsg");
     },
     absl::StatusCode::kOk, nullptr},
    {"poll_fails",
     [](FakeSyscalls& s) {
       s.Expect("sendmsg").Fails(EAGAIN);
       s.Expect("poll").Fails(EINVAL);
     },
     absl::StatusCode::kInvalidArgument, "fd 1: poll: Invalid argument"},
    {"epipe", [](FakeSyscalls& s) { s.Expect("sendmsg").Fails(EPIPE); },
     absl::StatusCode::kUnavailable,
     "ssh closed its end before taking the connection (sendmsg: Broken pipe)"},
    {"reset", [](FakeSyscalls& s) { s.Expect("sendmsg").Fails(ECONNRESET); },
     absl::StatusCode::kUnavailable, "ssh closed its end"},
    {"short", [](FakeSyscalls& s) { s.Expect("sendmsg").Returns(0); },
     absl::StatusCode::kInternal, "sendmsg on fd 1 sent 0 of 1 byte"},
    {"not_a_socket", [](FakeSyscalls& s) { s.Expect("sendmsg").Fails(ENOTSOCK); },
     absl::StatusCode::kInvalidArgument, "sendmsg on fd 1: Socket operation on non-socket"},
    {"eacces", [](FakeSyscalls& s) { s.Expect("sendmsg").Fails(EACCES); },
     absl::StatusCode::kPermissionDenied, "sendmsg on fd 1: Permission denied"},
};

TEST(FaultTest, SendFd) {
  RunTable(kSendFd, [](FakeSyscalls& sys) { return SendFd(sys, 1, 3); });
}

const Row kIsUnixSocket[] = {
    {"fstat_ebadf", [](FakeSyscalls& s) { s.Expect("fstat").Fails(EBADF); },
     absl::StatusCode::kFailedPrecondition, "fstat(1): Bad file descriptor"},
    {"pipe", [](FakeSyscalls& s) { s.Expect("fstat").Mode(S_IFIFO | 0600); },
     absl::StatusCode::kOk, nullptr},
    {"getsockopt_fails",
     [](FakeSyscalls& s) {
       s.Expect("fstat").Mode(S_IFSOCK | 0777);
       s.Expect("getsockopt").Fails(ENOTSOCK);
     },
     absl::StatusCode::kInvalidArgument, "getsockopt(1, SO_DOMAIN): Socket operation on non-socket"},
};

TEST(FaultTest, IsUnixSocket) {
  RunTable(kIsUnixSocket, [](FakeSyscalls& sys) { return IsUnixSocket(sys, 1).status(); });
}

// PeerIsSsh's failures; its answers are checked by PeerIsSshNamesOnlySsh.
absl::Status PeerVerdict(FakeSyscalls& sys) { return PeerIsSsh(sys, 1).status(); }

void PeerComm(FakeSyscalls& s, const std::string& comm) {
  s.Expect("getsockopt").OnFd(1).PeerPid(4242);
  s.Expect("open").Returns(9);
  s.Expect("read").OnFd(9).Data(comm);
  s.Expect("close").OnFd(9);
}

TEST(FaultTest, PeerIsSshNamesOnlySsh) {
  const std::pair<const char*, bool> cases[] = {
      {"ssh\n", true},    {"socat\n", false}, {"sshd\n", false},  {"ssh-agent\n", false},
      {"python3\n", false}, {"ss", false},     {"", false},        {"SSH\n", false},
  };
  for (const auto& [comm, want] : cases) {
    FakeSyscalls sys;
    PeerComm(sys, comm);
    absl::StatusOr<bool> ssh = PeerIsSsh(sys, 1);
    ASSERT_TRUE(ssh.ok()) << ssh.status();
    EXPECT_EQ(*ssh, want) << comm;
    EXPECT_EQ(sys.log()[1], "open(/proc/4242/comm, O_CLOEXEC)");
  }
}

const Row kPeerIsSsh[] = {
    {"getsockopt_fails", [](FakeSyscalls& s) { s.Expect("getsockopt").Fails(EOPNOTSUPP); },
     absl::StatusCode::kFailedPrecondition, "getsockopt(1, SO_PEERCRED): Operation not supported"},
    {"pid_0", [](FakeSyscalls& s) { s.Expect("getsockopt").PeerPid(0); },
     absl::StatusCode::kFailedPrecondition, "its peer's process is not visible from here"},
    {"no_proc",
     [](FakeSyscalls& s) {
       s.Expect("getsockopt").PeerPid(4242);
       s.Expect("open").Fails(ENOENT);
     },
     absl::StatusCode::kFailedPrecondition, "/proc/4242/comm: No such file or directory"},
    {"hidepid",
     [](FakeSyscalls& s) {
       s.Expect("getsockopt").PeerPid(4242);
       s.Expect("open").Fails(EACCES);
     },
     absl::StatusCode::kFailedPrecondition, "/proc/4242/comm: Permission denied"},
    {"read_eintr_then_ok",
     [](FakeSyscalls& s) {
       s.Expect("getsockopt").PeerPid(4242);
       s.Expect("open").Returns(9);
       s.Expect("read").Fails(EINTR);
       s.Expect("read").Data("ssh\n");
       s.Expect("close").OnFd(9);
     },
     absl::StatusCode::kOk, nullptr},
    {"read_fails",
     [](FakeSyscalls& s) {
       s.Expect("getsockopt").PeerPid(4242);
       s.Expect("open").Returns(9);
       s.Expect("read").Fails(ESRCH);
       s.Expect("close").OnFd(9);
     },
     absl::StatusCode::kFailedPrecondition, "/proc/4242/comm: No such process"},
};

TEST(FaultTest, PeerIsSsh) { RunTable(kPeerIsSsh, PeerVerdict); }

// The errno of the call that failed travels as a field, whatever the code.
TEST(FaultTest, PeerIsSshKeepsTheErrno) {
  for (int error : {EOPNOTSUPP, EACCES}) {
    FakeSyscalls sys;
    if (error == EOPNOTSUPP) {
      sys.Expect("getsockopt").Fails(error);
    } else {
      sys.Expect("getsockopt").PeerPid(4242);
      sys.Expect("open").Fails(error);
    }
    absl::Status s = PeerVerdict(sys);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ErrnoOf(s), error) << s;
  }
}

// ---- FillClosedStandardFds (net/standard_fds.h) ----

TEST(FaultTest, FillClosedStandardFds) {
  struct Case {
    const char* name;
    bool in, out, err;  // closed
  } cases[] = {
      {"all_open", false, false, false}, {"stdin", true, false, false},
      {"stdout", false, true, false},    {"stderr", false, false, true},
      {"all", true, true, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSyscalls sys;
    const bool closed[] = {c.in, c.out, c.err};
    for (int fd = 0; fd < 3; ++fd) {
      if (!closed[fd]) {
        sys.Expect("fcntl").OnFd(fd).Returns(0);
        continue;
      }
      sys.Expect("fcntl").OnFd(fd).Fails(EBADF);
      sys.Expect("open").Returns(fd);
    }
    absl::StatusOr<ClosedStandardFds> r = FillClosedStandardFds(sys);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->in, c.in);
    EXPECT_EQ(r->out, c.out);
    EXPECT_EQ(r->err, c.err);
    for (int fd = 0; fd < 3; ++fd) {
      if (closed[fd]) {
        EXPECT_THAT(sys.log(), ::testing::Contains("open(/dev/null, O_RDWR)"));
        sys.Expect("close").OnFd(fd);  // /dev/null stays; the test lets it go
        sys.Close(fd);
      }
    }
  }
}

const Row kFillFailures[] = {
    {"open_fails",
     [](FakeSyscalls& s) {
       s.Expect("fcntl").OnFd(0).Fails(EBADF);
       s.Expect("open").Fails(EMFILE);
     },
     absl::StatusCode::kResourceExhausted, "opening /dev/null for closed fd 0: Too many open files"},
    {"no_dev_null",
     [](FakeSyscalls& s) {
       s.Expect("fcntl").OnFd(0);
       s.Expect("fcntl").OnFd(1).Fails(EBADF);
       s.Expect("open").Fails(ENOENT);
     },
     absl::StatusCode::kNotFound, "opening /dev/null for closed fd 1: No such file"},
    {"lands_elsewhere",
     [](FakeSyscalls& s) {
       s.Expect("fcntl").OnFd(0);
       s.Expect("fcntl").OnFd(1);
       s.Expect("fcntl").OnFd(2).Fails(EBADF);
       s.Expect("open").Returns(7);
       s.Expect("close").OnFd(7);
     },
     absl::StatusCode::kInternal, "/dev/null opened as fd 7 instead of closed fd 2"},
    {"fcntl_other_error",
     [](FakeSyscalls& s) { s.Expect("fcntl").OnFd(0).Fails(EACCES); },
     absl::StatusCode::kPermissionDenied, "fcntl(0, F_GETFD): Permission denied"},
};

TEST(FaultTest, FillClosedStandardFdsFailures) {
  RunTable(kFillFailures,
           [](FakeSyscalls& sys) { return FillClosedStandardFds(sys).status(); });
}

// ---- ConnectVsockMux (net/mux.h), after the connect ----

// socket + unbounded connect on fd 3. The rows end with its close: by the
// code on failure, by the returned UniqueFd on success.
void MuxConnected(FakeSyscalls& s) {
  s.Expect("socket").Returns(3);
  s.Expect("connect").OnFd(3);
}

const Row kMux[] = {
    {"connect_refused",
     [](FakeSyscalls& s) {
       s.Expect("socket").Returns(3);
       s.Expect("connect").Fails(EACCES);
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kPermissionDenied, "connect unix:/run/fc.sock: Permission denied"},
    {"write_epipe",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write").Fails(EPIPE);
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kFailedPrecondition,
     "port 22 on /run/fc.sock: sending CONNECT: write: Broken pipe"},
    {"write_short_eintr_eagain",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write").Returns(4);
       s.Expect("write").Fails(EINTR);
       s.Expect("write").Fails(EAGAIN);
       s.Expect("poll").Revents(POLLOUT);
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Data("OK 1073741824\n");
       s.Expect("recv").Data("OK 1073741824\n");
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kOk, nullptr},
    {"poll_eintr_then_reply",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write");
       s.Expect("poll").Fails(EINTR);
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Data("OK 5\n");
       s.Expect("recv").Fails(EINTR);
       s.Expect("recv").Data("OK 5\n");
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kOk, nullptr},
    {"poll_fails",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write");
       s.Expect("poll").Fails(ENOMEM);
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kResourceExhausted, "port 22 on /run/fc.sock: poll: Cannot allocate memory"},
    {"peek_eagain_eintr_then_banner",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Fails(EAGAIN);  // a spurious wake-up
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Fails(EINTR);
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Data("SSH-2.0-OpenSSH_9.2\r\n");
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kOk, nullptr},
    {"peek_reset",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN | POLLHUP);
       s.Expect("recv").Fails(ECONNRESET);
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kUnavailable, "port 22 on /run/fc.sock is not open"},
    {"peek_fails",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Fails(EIO);
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kUnknown,
     "port 22 on /run/fc.sock: reading the multiplexer's reply: Input/output error"},
    {"consume_fails",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Data("OK 7\n");
       s.Expect("recv").Fails(ECONNRESET);
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kUnavailable, "reading the multiplexer's reply: Connection reset by peer"},
    {"consume_short",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Data("OK 7\n");
       s.Expect("recv").Returns(2);
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kInternal, "port 22 on /run/fc.sock: read 2 of 5 peeked bytes"},
    {"partial_line_poll_eintr_then_rest",
     [](FakeSyscalls& s) {
       MuxConnected(s);
       s.Expect("write");
       s.Expect("poll").Revents(POLLIN);
       s.Expect("recv").Data("OK 1");
       s.Expect("poll").Fails(EINTR);  // the pause, interrupted: it goes on
       s.Expect("poll").Returns(0);
       s.Expect("recv").Data("OK 12\n");
       s.Expect("recv").Data("OK 12\n");
       s.Expect("close").OnFd(3);
     },
     absl::StatusCode::kOk, nullptr},
};

TEST(FaultTest, ConnectVsockMux) {
  RunTable(kMux, [](FakeSyscalls& sys) {
    return ConnectVsockMux(sys, "/run/fc.sock", 22, ConnectOptions{}, absl::Seconds(5))
        .status();
  });
}

}  // namespace
}  // namespace sshproxy::net
