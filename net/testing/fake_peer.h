// Copyright 2026 The ssh-socket-proxy Authors.
//
// A connected stream socket (fd kFd) whose other end is a script: bytes that
// arrive, stretches of silence, EOF or a reset. Unlike FakeSyscalls it models
// the kernel's receive queue, so MSG_PEEK and consuming reads behave as they
// do on a real socket, whatever order the code under test calls them in; a
// fake clock moves through the silences when the code polls or sleeps.
//
//   FakePeer peer;
//   peer.Arrive("OK 10").Silence(absl::Milliseconds(5)).Arrive("73741824\n");
//   peer.Arrive("SSH-2.0-OpenSSH_9.2\r\n");
//   ... ReadMuxReply(peer, FakePeer::kFd, absl::Seconds(5), "port 22") ...
//   EXPECT_EQ(peer.consumed(), "OK 1073741824\n");
//
// poll() understands POLLIN and POLLRDHUP on kFd, and no descriptors at all (a
// sleep). Calls other than poll, recv, write and the clock abort.

#ifndef SSHPROXY_NET_TESTING_FAKE_PEER_H_
#define SSHPROXY_NET_TESTING_FAKE_PEER_H_

#include <deque>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/syscalls.h"

namespace sshproxy::net {

class FakePeer : public Syscalls {
 public:
  static constexpr int kFd = 3;

  FakePeer& Arrive(absl::string_view bytes);
  FakePeer& Silence(absl::Duration d);
  FakePeer& Eof();
  FakePeer& Reset();

  // Bytes taken off the socket by non-peeking reads.
  const std::string& consumed() const { return consumed_; }
  // Bytes written to the socket.
  const std::string& written() const { return written_; }
  // Everything the script sends that was not consumed, in order.
  std::string Unconsumed() const;
  // Time spent in the fake clock since construction.
  absl::Duration elapsed() const { return now_ - start_; }
  // The largest `len` any recv asked for.
  size_t max_recv_len() const { return max_recv_len_; }

  SyscallResult<int> Poll(pollfd* fds, nfds_t nfds, int timeout_ms) override;
  SyscallResult<ssize_t> Recv(int fd, void* buf, size_t len, int flags) override;
  SyscallResult<ssize_t> Write(int fd, const void* buf, size_t len) override;
  absl::Time Now() override { return now_; }

  SyscallResult<int> Socket(int, int, int) override { Die("socket"); }
  SyscallResult<int> Connect(int, const sockaddr*, socklen_t) override { Die("connect"); }
  SyscallResult<int> Open(const char*, int) override { Die("open"); }
  SyscallResult<int> Close(int) override { Die("close"); }
  SyscallResult<ssize_t> SendMsg(int, const msghdr*, int) override { Die("sendmsg"); }
  // read(2) on a socket is recv(2) without flags.
  SyscallResult<ssize_t> Read(int fd, void* buf, size_t len) override {
    return Recv(fd, buf, len, 0);
  }
  SyscallResult<int> GetSockOpt(int, int, int, void*, socklen_t*) override { Die("getsockopt"); }
  SyscallResult<int> SetSockOpt(int, int, int, const void*, socklen_t) override {
    Die("setsockopt");
  }
  SyscallResult<int> Fstat(int, struct stat*) override { Die("fstat"); }
  SyscallResult<int> Fcntl(int, int, int) override { Die("fcntl"); }
  SyscallResult<int> Shutdown(int, int) override { Die("shutdown"); }
  SyscallResult<ssize_t> Splice(int, int, size_t, unsigned) override { Die("splice"); }
  SyscallResult<int> Pipe2(int*, int) override { Die("pipe2"); }

 private:
  struct Event {
    enum Kind { kData, kSilence, kEof, kReset } kind;
    std::string data;
    absl::Duration silence;
  };

  [[noreturn]] static void Die(const char* call);
  // Delivers every event up to the next silence into the receive queue.
  void Settle();
  // Lets up to `d` pass, or less if `ready` becomes true first (infinite:
  // until then, or the end of the script).
  void Advance(absl::Duration d, bool (FakePeer::*ready)() const);
  bool Readable() const { return !queue_.empty() || eof_ || reset_; }
  bool HungUp() const { return eof_ || reset_; }
  bool Never() const { return false; }

  std::deque<Event> script_;
  std::string queue_;  // arrived, not consumed
  bool eof_ = false;
  bool reset_ = false;
  std::string consumed_;
  std::string written_;
  size_t max_recv_len_ = 0;
  absl::Time start_ = absl::UnixEpoch() + absl::Hours(1000);
  absl::Time now_ = start_;
};

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_TESTING_FAKE_PEER_H_
