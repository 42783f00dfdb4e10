// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/testing/relay_setup.h"

#include <errno.h>
#include <fcntl.h>

namespace sshproxy::net {

void ExpectRelaySetup(FakeSyscalls& sys, int sock) {
  sys.Expect("fcntl").OnFd(sock).Returns(O_RDWR);  // F_GETFL
  sys.Expect("fcntl").OnFd(sock);                  // F_SETFL
}

void ExpectGrowth(FakeSyscalls& sys, int fd, PipeRoom room, int probe) {
  sys.Expect("open").Returns(4);
  sys.Expect("read").OnFd(4).Data("1024\n");
  sys.Expect("close").OnFd(4);
  sys.Expect("pipe2").Returns(probe);
  FakeSyscalls::Step& grow = sys.Expect("fcntl").OnFd(probe + 1);
  if (room == PipeRoom::kNoRoom) grow.Fails(EPERM);
  sys.Expect("close").OnFd(probe);
  sys.Expect("close").OnFd(probe + 1);
  if (room == PipeRoom::kRoom) sys.Expect("fcntl").OnFd(fd);
}

}  // namespace sshproxy::net
