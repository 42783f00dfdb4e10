// Copyright 2026 The ssh-socket-proxy Authors.
//
// The system calls net::Relay makes before it moves a byte, for tests that
// script a relay with FakeSyscalls (net/relay_test.cc, cli/run_test.cc), so
// that they need not know how the relay sets itself up:
//
//   ExpectRelaySetup(sys, /*sock=*/3);
//   sys.Expect("splice").OnFd(0).Returns(0);
//   ...
//   Relay(sys, 0, 1, 3);

#ifndef SSHPROXY_NET_TESTING_RELAY_SETUP_H_
#define SSHPROXY_NET_TESTING_RELAY_SETUP_H_

#include "net/testing/fake_syscalls.h"

namespace sshproxy::net {

// Scripts the relay's set-up: `sock` made non-blocking.
void ExpectRelaySetup(FakeSyscalls& sys, int sock);

// How the probe for the user's pipe budget goes (see relay.h, "Pipes").
enum class PipeRoom {
  kRoom,    // the probe pipe grows: the bulk direction's pipe grows
  kNoRoom,  // the kernel refuses (EPERM): nothing grows
};

// Scripts what follows a call that moved a full 64 KiB: the budget read
// from /proc (fd 4, 1024 pages: one probe), the probe pipe (fds `probe` and
// `probe` + 1), and with room, `fd` grown to 256 KiB. Those fds must be free.
void ExpectGrowth(FakeSyscalls& sys, int fd, PipeRoom room = PipeRoom::kRoom,
                  int probe = 5);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_TESTING_RELAY_SETUP_H_
