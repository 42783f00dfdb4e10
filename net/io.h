// Copyright 2026 The ssh-socket-proxy Authors.
//
// Small I/O loops shared by the vsock-mux handshake and the Varlink client:
// the retries every blocking write needs (short writes, EINTR, EAGAIN).
//
//   if (absl::Status s = WriteAll(sys, fd, "CONNECT 22\n"); !s.ok()) ...

#ifndef SSHPROXY_NET_IO_H_
#define SSHPROXY_NET_IO_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "net/syscalls.h"

namespace sshproxy::net {

// Writes all of `data` to `fd`. Returns OK iff every byte was written:
// retries short writes and EINTR, waits with poll() on EAGAIN (a non-blocking
// descriptor). Fails with the errno of the first write or poll that fails
// otherwise, e.g. "write: Broken pipe" (SIGPIPE must be ignored).
absl::Status WriteAll(Syscalls& sys, int fd, absl::string_view data);

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_IO_H_
