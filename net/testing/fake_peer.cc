// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/testing/fake_peer.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sshproxy::net {

void FakePeer::Die(const char* call) {
  std::fprintf(stderr, "FakePeer: unexpected %s\n", call);
  std::abort();
}

FakePeer& FakePeer::Arrive(absl::string_view bytes) {
  script_.push_back({Event::kData, std::string(bytes), absl::ZeroDuration()});
  return *this;
}
FakePeer& FakePeer::Silence(absl::Duration d) {
  script_.push_back({Event::kSilence, "", d});
  return *this;
}
FakePeer& FakePeer::Eof() {
  script_.push_back({Event::kEof, "", absl::ZeroDuration()});
  return *this;
}
FakePeer& FakePeer::Reset() {
  script_.push_back({Event::kReset, "", absl::ZeroDuration()});
  return *this;
}

std::string FakePeer::Unconsumed() const {
  std::string rest = queue_;
  for (const Event& e : script_) {
    if (e.kind == Event::kData) rest += e.data;
  }
  return rest;
}

void FakePeer::Settle() {
  // Nothing arrives after EOF or a reset.
  while (!script_.empty() && script_.front().kind != Event::kSilence && !eof_ &&
         !reset_) {
    Event e = std::move(script_.front());
    script_.pop_front();
    if (e.kind == Event::kData) queue_ += e.data;
    if (e.kind == Event::kEof) eof_ = true;
    if (e.kind == Event::kReset) reset_ = true;
  }
}

void FakePeer::Advance(absl::Duration d, bool (FakePeer::*ready)() const) {
  Settle();
  while (d > absl::ZeroDuration() && !script_.empty() && !(this->*ready)()) {
    Event& e = script_.front();
    if (e.kind != Event::kSilence) break;
    const absl::Duration step = std::min(d, e.silence);
    now_ += step;
    d -= step;
    e.silence -= step;
    if (e.silence <= absl::ZeroDuration()) script_.pop_front();
    Settle();
  }
  // The script ended in silence: the rest of `d` passes too.
  if (!(this->*ready)() && d != absl::InfiniteDuration()) now_ += d;
}

SyscallResult<int> FakePeer::Poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  const absl::Duration timeout = timeout_ms < 0 ? absl::InfiniteDuration()
                                                : absl::Milliseconds(timeout_ms);
  if (nfds == 0) {
    Advance(timeout, &FakePeer::Never);  // a sleep
    return {0, 0};
  }
  if (nfds != 1 || fds[0].fd != kFd) Die("poll shape");
  short revents = 0;
  auto ready = &FakePeer::Never;
  if (fds[0].events & POLLIN) ready = &FakePeer::Readable;
  else if (fds[0].events & POLLRDHUP) ready = &FakePeer::HungUp;
  else Die("poll events");
  Advance(timeout, ready);
  if (timeout == absl::InfiniteDuration() && !(this->*ready)()) {
    Die("poll that would block forever");
  }
  if ((fds[0].events & POLLIN) && Readable()) revents |= POLLIN;
  if (HungUp()) revents |= POLLRDHUP;
  fds[0].revents = revents;
  return {revents != 0 ? 1 : 0, 0};
}

SyscallResult<ssize_t> FakePeer::Recv(int fd, void* buf, size_t len, int flags) {
  if (fd != kFd) Die("recv on another fd");
  max_recv_len_ = std::max(max_recv_len_, len);
  Settle();
  if (!queue_.empty()) {
    const size_t n = std::min(len, queue_.size());
    std::memcpy(buf, queue_.data(), n);
    if (!(flags & MSG_PEEK)) {
      consumed_ += queue_.substr(0, n);
      queue_.erase(0, n);
    }
    return {static_cast<ssize_t>(n), 0};
  }
  if (reset_) return {-1, ECONNRESET};
  if (eof_) return {0, 0};
  return {-1, EAGAIN};  // callers poll first; a blocking recv would hang here
}

SyscallResult<ssize_t> FakePeer::Write(int fd, const void* buf, size_t len) {
  if (fd != kFd) Die("write on another fd");
  written_.append(static_cast<const char*>(buf), len);
  return {static_cast<ssize_t>(len), 0};
}

}  // namespace sshproxy::net
