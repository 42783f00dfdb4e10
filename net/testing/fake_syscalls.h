// Copyright 2026 The ssh-socket-proxy Authors.
//
// A scripted kernel for tests and fuzz targets. A test lists, in order, the
// system calls the code under test must make and what each returns:
//
//   FakeSyscalls sys;
//   sys.Expect("socket").Returns(3);
//   sys.Expect("connect").OnFd(3).Fails(ECONNREFUSED);
//   sys.Expect("close").OnFd(3);
//   EXPECT_FALSE(ConnectUnix(sys, "/run/x.sock", {}).ok());
//   EXPECT_THAT(sys.log(), ElementsAre("socket(AF_UNIX, ...)", ...));
//
// Any call that was not scripted, or made in another order or on another fd,
// aborts the process with a message: no test can reach the kernel by accident.
// The destructor aborts too if scripted calls were never made or descriptors
// handed out by socket/open were never closed (leaks).

#ifndef SSHPROXY_NET_TESTING_FAKE_SYSCALLS_H_
#define SSHPROXY_NET_TESTING_FAKE_SYSCALLS_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/syscalls.h"

namespace sshproxy::net {

// Syscalls is a virtual base: lookup::FakeProcessSyscalls adds the process
// calls to the same script.
class FakeSyscalls : public virtual Syscalls {
 public:
  // One scripted call. Unless told otherwise it succeeds: 0, or for
  // recv/read the number of bytes of data(), for write/sendmsg every byte.
  class Step {
   public:
    Step& Returns(int64_t value) { value_ = value; return *this; }
    Step& Fails(int error) { value_ = -1; error_ = error; return *this; }
    // recv/read: the bytes the kernel delivers. getsockopt: the option value.
    Step& Data(absl::string_view data) { data_ = std::string(data); return *this; }
    // poll: the revents reported on every polled descriptor.
    Step& Revents(short revents) { revents_ = revents; return *this; }
    // The call must be made on this descriptor.
    Step& OnFd(int fd) { fd_ = fd; return *this; }
    // The fake clock advances by this much during the call (poll timeouts).
    Step& Elapses(absl::Duration d) { elapse_ = d; return *this; }
    // An int the call writes through its out-pointer: getsockopt's option
    // value (SO_ERROR, SO_DOMAIN), or a fake's own (lookup's waitpid status).
    Step& IntValue(int v) {
      data_.assign(reinterpret_cast<const char*>(&v), sizeof(v));
      return *this;
    }
    // getsockopt(SO_PEERCRED): the peer's pid (uid and gid 0).
    Step& PeerPid(int pid);
    // fstat: the st_mode to report.
    Step& Mode(unsigned mode) { mode_ = mode; return *this; }

   private:
    friend class FakeSyscalls;
    std::string call_;
    std::optional<int64_t> value_;
    int error_ = 0;
    std::string data_;
    short revents_ = 0;
    int fd_ = -1;
    absl::Duration elapse_ = absl::ZeroDuration();
    unsigned mode_ = 0;
  };

  FakeSyscalls() = default;
  ~FakeSyscalls() override;
  FakeSyscalls(const FakeSyscalls&) = delete;
  FakeSyscalls& operator=(const FakeSyscalls&) = delete;

  // Appends a call the code under test must make next, named like the
  // method in lower case ("socket", "connect", "sendmsg", "recv", ...).
  Step& Expect(absl::string_view call);

  // Every call made so far, rendered for assertions, e.g.
  // "connect(3, unix:/run/x.sock)", "write(3, \"CONNECT 22\\n\")",
  // "sendmsg(1, \"\\000\", fd 3, MSG_NOSIGNAL, MSG_DONTWAIT)".
  const std::vector<std::string>& log() const { return log_; }

  // Descriptors returned by socket/open and not yet closed.
  const std::set<int>& open_fds() const { return open_fds_; }

  // Scripted calls not made yet.
  size_t pending() const { return steps_.size(); }

  // Marks fds the test itself owns (stdin/stdout...) as closable.
  void Adopt(int fd) { open_fds_.insert(fd); }

  SyscallResult<int> Socket(int domain, int type, int protocol) override;
  SyscallResult<int> Connect(int fd, const sockaddr* addr,
                             socklen_t len) override;
  SyscallResult<int> Open(const char* path, int flags) override;
  SyscallResult<int> Close(int fd) override;
  SyscallResult<ssize_t> SendMsg(int fd, const msghdr* msg, int flags) override;
  SyscallResult<ssize_t> Recv(int fd, void* buf, size_t len,
                              int flags) override;
  SyscallResult<ssize_t> Read(int fd, void* buf, size_t len) override;
  SyscallResult<ssize_t> Write(int fd, const void* buf, size_t len) override;
  SyscallResult<int> Poll(pollfd* fds, nfds_t nfds, int timeout_ms) override;
  SyscallResult<int> GetSockOpt(int fd, int level, int name, void* value,
                                socklen_t* len) override;
  SyscallResult<int> SetSockOpt(int fd, int level, int name, const void* value,
                                socklen_t len) override;
  SyscallResult<int> Fstat(int fd, struct stat* st) override;
  SyscallResult<int> Fcntl(int fd, int cmd, int arg) override;
  SyscallResult<int> Shutdown(int fd, int how) override;
  // splice: returns Returns() (default: `len`). Rendered "splice(0 -> 5, 65536)".
  SyscallResult<ssize_t> Splice(int fd_in, int fd_out, size_t len,
                                unsigned flags) override;
  // pipe2: Returns(r) gives the pair {r, r + 1} (default {5, 6}).
  SyscallResult<int> Pipe2(int fds[2], int flags) override;
  absl::Time Now() override { return now_; }

 protected:
  // For fakes that add calls to the script (lookup/testing/fake_process.h).
  // Takes the next step, which must be `call` on `fd`; logs `rendered`.
  Step Next(absl::string_view call, int fd, std::string rendered);
  static int64_t ValueOr(const Step& s, int64_t fallback) {
    return s.value_.value_or(fallback);
  }
  static int ErrorOf(const Step& s) { return s.error_; }
  static const std::string& DataOf(const Step& s) { return s.data_; }

 private:
  [[noreturn]] void Die(absl::string_view why) const;

  std::deque<Step> steps_;
  std::vector<std::string> log_;
  std::set<int> open_fds_;
  absl::Time now_ = absl::UnixEpoch() + absl::Hours(1000);
};

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_TESTING_FAKE_SYSCALLS_H_
