// Copyright 2026 The ssh-socket-proxy Authors.
//
// The vsock multiplexer handshake of Firecracker, cloud-hypervisor and
// vhost-device-vsock: they expose a guest's AF_VSOCK ports behind one AF_UNIX
// socket on the host. The client connects, writes "CONNECT <port>\n", and the
// multiplexer answers "OK <host-side port>\n" once the guest accepted (ports
// from 2^30 in Firecracker and cloud-hypervisor, so "OK 1073741824\n"), or
// closes the connection without a byte when nothing listens on that port.
// Some multiplexers send no OK line at all: the guest's first bytes (sshd's
// "SSH-2.0-" banner) come straight away, or nothing until the client speaks.
//
// The reader never consumes a byte that is not part of a complete, well-formed
// OK line: it peeks, and only reads a whole OK line off the socket. Whatever
// else arrives stays in the socket for ssh.

#ifndef SSHPROXY_NET_MUX_H_
#define SSHPROXY_NET_MUX_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/connect.h"
#include "net/syscalls.h"
#include "net/unique_fd.h"

namespace sshproxy::net {

// Longest OK line: "OK " + 10 digits (4294967295) + "\n".
inline constexpr size_t kMaxMuxReply = 14;

// How the multiplexer answered CONNECT.
struct MuxReply {
  enum class Kind {
    kOk,        // "OK <port>\n" arrived and was consumed; host_port is set
    kNoOkLine,  // the first bytes were no OK line: left untouched for ssh
    kSilent,    // nothing within the timeout: a mux that sends no OK line
  };
  Kind kind = Kind::kSilent;
  uint32_t host_port = 0;
};

// Reads the reply to CONNECT on `fd` (a connected, blocking socket), waiting
// at most `timeout` for the first byte and for the rest of a started OK line.
// Returns the reply, or:
//   UnavailableError  the multiplexer closed (or reset) the connection before
//                     any byte: nothing listens on that port in the guest;
//   DataLossError     a partial OK line, then EOF; a malformed OK line
//                     ("OK x", "OK \n"), one longer than kMaxMuxReply; a
//                     port above 4294967295 ("OK 99999999999\n": "port out of
//                     range", said as soon as the digits show it, though only
//                     kMaxMuxReply bytes are read); or a timeout in the middle.
// `what` names the connection in messages ("port 22 on /run/fc.sock").
absl::StatusOr<MuxReply> ReadMuxReply(Syscalls& sys, int fd,
                                      absl::Duration timeout,
                                      absl::string_view what);

// Connects to the multiplexer at `path` (any length, as ConnectUnix), sends
// "CONNECT <port>\n" and reads the reply with `reply_timeout`. Returns the
// socket, positioned at the guest's first byte. The connect keeps to
// `options.timeout`; the line is written at once (net/io.h says why).
absl::StatusOr<UniqueFd> ConnectVsockMux(Syscalls& sys, absl::string_view path,
                                         uint32_t port,
                                         const ConnectOptions& options,
                                         absl::Duration reply_timeout,
                                         MuxReply* reply = nullptr);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_MUX_H_
