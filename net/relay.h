// Copyright 2026 The ssh-socket-proxy Authors.
//
// Relay mode: for callers that cannot take a socket (ssh without
// ProxyUseFdpass, paramiko, git's and rsync's wrappers, IDE plugins, scripts).
// They give the proxy two pipes and expect it to copy bytes until the session
// ends, as `nc -U` would, only faster.

#ifndef SSHPROXY_NET_RELAY_H_
#define SSHPROXY_NET_RELAY_H_

#include <cstdint>

#include "absl/status/status.h"
#include "net/syscalls.h"

namespace sshproxy::net {

struct RelayStats {
  uint64_t to_socket = 0;    // bytes from `in` to the socket
  uint64_t from_socket = 0;  // bytes from the socket to `out`
  bool spliced = true;       // false if a direction fell back to read/write
  int grown_to = 0;          // bytes a pipe was grown to (bulk); 0 if none was
};

// Copies `in` -> `sock` and `sock` -> `out` until the session is over:
//   - EOF on `in`: shuts down the socket's write side (the guest sees EOF) and
//     keeps delivering the other direction;
//   - EOF on the socket (or a reset): closes `out` and returns OK;
//   - `out` closed by the reader (EPIPE): returns OK, nothing left to do.
// Data moves with splice(2), never through user space: straight between
// ssh's pipe and the socket, or through a kernel pipe of ours when neither
// end is a pipe; where the kernel refuses splice for a descriptor (EINVAL: a
// terminal, an O_APPEND file) that direction falls back to read/write,
// without losing what it already holds. After a move under 4 KiB (a
// keystroke, an interactive ssh packet) the source counts as drained and the
// next call is poll: no call only hears EAGAIN.
//
// Every write goes out at once: no byte waits for more to come (no
// SPLICE_F_MORE, which corks TCP for 200 ms), so a keystroke's round trip
// through a TCP or AF_UNIX relay is the socket's plus a process hop.
//
// Pipes: a direction that moves bulk (a call fills a whole 64 KiB pipe)
// grows its pipe, ssh's or ours, to 256 KiB once, which is what throughput
// needs; interactive sessions never do. It grows only while a quarter of
// the user's pipe budget (/proc/sys/fs/pipe-user-pages-soft, past which
// every new pipe of the user gets 8 KiB) is free, which the kernel tells by
// letting probe pipes of that size grow to 1 MiB: growth alone never takes
// the user past three quarters of it (growing every pipe to 1 MiB at start
// used it all up after some 30 relays).
//
// Puts `sock` in non-blocking mode; leaves `in` and `out` as they are (they
// may be shared with the caller). SIGPIPE must be ignored. Returns an error
// only for failures that lose data, naming the direction, e.g.
// "relay stdin to socket: splice: Input/output error".
absl::Status Relay(Syscalls& sys, int in, int out, int sock,
                   RelayStats* stats = nullptr);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_RELAY_H_
