// Copyright 2026 The ssh-socket-proxy Authors.

#ifndef SSHPROXY_NET_UNIQUE_FD_H_
#define SSHPROXY_NET_UNIQUE_FD_H_

#include <utility>

#include "net/syscalls.h"

namespace sshproxy::net {

// Owns a file descriptor and closes it, through the Syscalls that opened it,
// when destroyed. Closing through the interface keeps a test's fake fds away
// from the kernel (a fake "fd 5" must never close the test's real fd 5).
class UniqueFd {
 public:
  UniqueFd() = default;
  UniqueFd(Syscalls& sys, int fd) : sys_(&sys), fd_(fd) {}
  ~UniqueFd() { reset(); }

  // Move-only: two owners would close the descriptor twice.
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept
      : sys_(other.sys_), fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      sys_ = other.sys_;
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Closes the descriptor now. close(2)'s error is not actionable here: the
  // descriptor is gone either way, and retrying after EINTR on Linux could
  // close a descriptor some other code just opened.
  void reset() {
    if (fd_ >= 0) sys_->Close(fd_);
    fd_ = -1;
  }

 private:
  Syscalls* sys_ = nullptr;
  int fd_ = -1;
};

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_UNIQUE_FD_H_
