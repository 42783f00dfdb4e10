// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/connect.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/error.h"
#include "net/io.h"

namespace sshproxy::net {
namespace {

// How long to wait before trying again when a non-blocking AF_UNIX connect
// says EAGAIN (the listener's backlog is full; poll cannot wait for that:
// one of the loops net/io.h lists as exempt).
constexpr absl::Duration kBacklogRetry = absl::Milliseconds(10);

// Says only that it timed out: how long, and which option sets that, is for
// the caller to say (one attempt's bound is not what the user asked for when
// --wait cut the last attempt short).
absl::Status TimedOut(absl::string_view what) {
  return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
}

// Waits for a connect in progress (EINPROGRESS, or EINTR on a blocking
// socket, where the kernel goes on connecting) and returns its result.
absl::Status AwaitConnect(Syscalls& sys, int fd, absl::string_view what,
                          absl::Time deadline) {
  absl::StatusOr<short> ready = PollUntil(sys, fd, POLLOUT, deadline, what);
  if (!ready.ok()) return ready.status();
  if (*ready == 0) return TimedOut(what);
  int error = 0;
  socklen_t len = sizeof(error);
  SyscallResult<int> r = sys.GetSockOpt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (!r.ok()) return SyscallError(r.error, absl::StrCat(what, ": SO_ERROR"));
  if (error != 0) return SyscallError(error, what);
  return absl::OkStatus();
}

const char* DomainName(int domain) {
  switch (domain) {
    case AF_VSOCK: return "AF_VSOCK";
    case AF_UNIX: return "AF_UNIX";
    case AF_INET: return "AF_INET";
    default: return "AF_INET6";
  }
}

// connect() on `fd` until it is connected, it fails, or `deadline` passes.
absl::Status ConnectUntil(Syscalls& sys, int fd, int domain, const sockaddr* addr,
                          socklen_t len, absl::string_view what, absl::Time deadline) {
  for (;;) {
    SyscallResult<int> c = sys.Connect(fd, addr, len);
    if (c.ok()) return absl::OkStatus();
    // Linux's unix_stream_connect() gives up on a signal and leaves the
    // socket unconnected (it then polls writable with SO_ERROR 0, so waiting
    // for it would hand over a dead socket): connect again. TCP and vsock
    // go on connecting in the background instead: wait for that.
    if (c.error == EINTR && domain == AF_UNIX) continue;
    if (c.error == EINPROGRESS || c.error == EINTR) {
      return AwaitConnect(sys, fd, what, deadline);
    }
    // A non-blocking AF_UNIX connect to a listener whose backlog is full.
    // (TCP's EAGAIN means no local port is free: not worth waiting for.)
    if (c.error == EAGAIN && domain == AF_UNIX && deadline != absl::InfiniteFuture()) {
      if (sys.Now() + kBacklogRetry > deadline) return TimedOut(what);
      SleepFor(sys, kBacklogRetry);
      continue;
    }
    return SyscallError(c.error, what);
  }
}

// Hands over a blocking socket, as an unbounded connect would have made.
absl::Status ClearNonBlocking(Syscalls& sys, int fd, absl::string_view what) {
  SyscallResult<int> flags = sys.Fcntl(fd, F_GETFL, 0);
  if (flags.ok()) flags = sys.Fcntl(fd, F_SETFL, flags.value & ~O_NONBLOCK);
  if (flags.ok()) return absl::OkStatus();
  return SyscallError(flags.error, absl::StrCat(what, ": clearing O_NONBLOCK"));
}

// Linux ends an AF_VSOCK connect on its own timer, SO_VM_SOCKETS_CONNECT_TIMEOUT
// (2 s unless set), blocking or not, with ETIMEDOUT: without this a peer that
// does not answer would be given up on long before --connect-timeout.
absl::Status SetVsockConnectTimeout(Syscalls& sys, int fd, absl::Duration timeout,
                                    absl::string_view what) {
  const timeval tv = absl::ToTimeval(std::max(timeout, absl::Milliseconds(1)));
  SyscallResult<int> r =
      sys.SetSockOpt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof(tv));
  if (r.ok()) return absl::OkStatus();
  return SyscallError(r.error,
                      absl::StrCat(what, ": setsockopt(SO_VM_SOCKETS_CONNECT_TIMEOUT)"));
}

// socket() + connect() with the timeout policy of `options`. The result is
// blocking, whatever was needed to get there.
absl::StatusOr<UniqueFd> ConnectStream(Syscalls& sys, int domain,
                                       const sockaddr* addr, socklen_t len,
                                       absl::string_view what,
                                       const ConnectOptions& options) {
  const bool bounded = options.timeout != absl::InfiniteDuration();
  const absl::Time deadline =
      bounded ? sys.Now() + options.timeout : absl::InfiniteFuture();
  SyscallResult<int> s = sys.Socket(
      domain, SOCK_STREAM | SOCK_CLOEXEC | (bounded ? SOCK_NONBLOCK : 0), 0);
  if (!s.ok()) {
    return WithReason(
        SyscallError(s.error, absl::StrCat("socket(", DomainName(domain), ") for ", what)),
        Reason::kSocketCreate);
  }
  UniqueFd fd(sys, s.value);
  if (bounded && domain == AF_VSOCK) {
    if (absl::Status t = SetVsockConnectTimeout(sys, fd.get(), deadline - sys.Now(), what);
        !t.ok()) {
      return t;
    }
  }
  if (absl::Status c = ConnectUntil(sys, fd.get(), domain, addr, len, what, deadline);
      !c.ok()) {
    return c;
  }
  if (bounded) {
    if (absl::Status b = ClearNonBlocking(sys, fd.get(), what); !b.ok()) return b;
  }
  return fd;
}

// "a directory" for S_IFDIR...: what sits where a socket was expected.
const char* FileKind(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR: return "a directory";
    case S_IFREG: return "a regular file";
    case S_IFIFO: return "a named pipe";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    default: return "not a socket";
  }
}

// connect() says ECONNREFUSED both for a socket nobody accepts on and for a
// file that is no socket at all. Tells them apart by looking at the file
// `anchor` (an O_PATH descriptor of it), or at `path` when `anchor` is -1.
// Returns `refused` unless the file is there and is no socket.
absl::Status ExplainRefused(Syscalls& sys, absl::string_view path, int anchor,
                            absl::string_view what, absl::Status refused) {
  UniqueFd opened;
  if (anchor < 0) {
    const std::string owned(path);
    SyscallResult<int> o = sys.Open(owned.c_str(), O_PATH | O_CLOEXEC);
    if (!o.ok()) return refused;
    opened = UniqueFd(sys, o.value);
    anchor = opened.get();
  }
  struct stat st;
  if (!sys.Fstat(anchor, &st).ok() || S_ISSOCK(st.st_mode)) return refused;
  return absl::FailedPreconditionError(
      absl::StrCat(what, ": ", FileKind(st.st_mode), " is there, not a socket"));
}

// An IPv6 literal with a zone, "fe80::1%eth0" or "fe80::1%2" (RFC 4007): a
// link-local sshAddress means nothing without the interface. inet_pton()
// knows no zones; getaddrinfo() with AI_NUMERICHOST parses them (a name
// through if_nametoindex(), which glibc allows for link-local addresses
// only) and never asks DNS or NSS.
absl::StatusOr<sockaddr_in6> ParseScopedIpv6(const std::string& host) {
  const size_t percent = host.find('%');
  in6_addr bare;
  if (percent == std::string::npos ||
      inet_pton(AF_INET6, host.substr(0, percent).c_str(), &bare) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", absl::CHexEscape(host), "\" is not an IPv4 or IPv6 address"));
  }
  addrinfo hints = {};
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr ||
      found->ai_addrlen != sizeof(sockaddr_in6)) {
    if (found != nullptr) freeaddrinfo(found);
    return absl::InvalidArgumentError(absl::StrCat(
        "IPv6 address \"", absl::CHexEscape(host), "\": its zone \"",
        absl::CHexEscape(host.substr(percent + 1)),
        "\" is no network interface here (ip link lists them; a name is taken for "
        "link-local fe80:: addresses only, a number for any)"));
  }
  sockaddr_in6 out;
  std::memcpy(&out, found->ai_addr, sizeof(out));
  freeaddrinfo(found);
  return out;
}

}  // namespace

std::string UnixAddressName(absl::string_view path) {
  return absl::StrCat("unix:", absl::CHexEscape(path));
}

std::string VsockAddressName(uint32_t cid, uint32_t port) {
  return absl::StrCat("vsock:", cid, ":", port);
}

absl::StatusOr<UniqueFd> ConnectUnix(Syscalls& sys, absl::string_view path,
                                     const ConnectOptions& options) {
  const std::string what = absl::StrCat("connect ", UnixAddressName(path));
  // A path too long for sun_path (108 bytes with the NUL) is reached through
  // an O_PATH descriptor of the socket file, whose /proc/self/fd name is
  // short. The descriptor also anchors ExplainRefused to the same file.
  UniqueFd anchor;
  std::string name(path);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    SyscallResult<int> o = sys.Open(name.c_str(), O_PATH | O_CLOEXEC);
    if (!o.ok()) return SyscallError(o.error, what);
    anchor = UniqueFd(sys, o.value);
    name = absl::StrCat("/proc/self/fd/", anchor.get());
  }
  std::memcpy(addr.sun_path, name.data(), name.size());
  absl::StatusOr<UniqueFd> fd = ConnectStream(
      sys, AF_UNIX, reinterpret_cast<const sockaddr*>(&addr),
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1), what,
      options);
  if (absl::IsUnavailable(fd.status())) {
    return ExplainRefused(sys, path, anchor.get(), what, fd.status());
  }
  if (anchor.get() >= 0 && absl::IsNotFound(fd.status())) {
    // The file was there a moment ago (open succeeded), so ENOENT here means
    // the /proc indirection itself is missing.
    return Reworded(fd.status(),
                    absl::StrCat(fd.status().message(), " (through ", name,
                                 " because the path is longer than sun_path; is /proc "
                                 "mounted?)"));
  }
  return fd;
}

absl::StatusOr<UniqueFd> ConnectTcp(Syscalls& sys, absl::string_view address,
                                    uint16_t port, const ConnectOptions& options) {
  std::string host(address);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  sockaddr_in v4 = {};
  sockaddr_in6 v6 = {};
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    return ConnectStream(sys, AF_INET, reinterpret_cast<const sockaddr*>(&v4),
                         sizeof(v4), absl::StrCat("connect tcp:", host, ":", port),
                         options);
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
  } else if (absl::StatusOr<sockaddr_in6> scoped = ParseScopedIpv6(host); scoped.ok()) {
    v6 = *scoped;
  } else {
    return scoped.status();
  }
  v6.sin6_port = htons(port);
  return ConnectStream(sys, AF_INET6, reinterpret_cast<const sockaddr*>(&v6), sizeof(v6),
                       absl::StrCat("connect tcp:[", absl::CHexEscape(host), "]:", port),
                       options);
}

absl::Status SetTcpNoDelay(Syscalls& sys, int fd) {
  const int one = 1;
  SyscallResult<int> r = sys.SetSockOpt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!r.ok()) {
    return SyscallError(r.error, absl::StrCat("setsockopt(", fd, ", TCP_NODELAY)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ConnectVsock(Syscalls& sys, uint32_t cid,
                                      uint32_t port,
                                      const ConnectOptions& options) {
  sockaddr_vm addr = {};
  addr.svm_family = AF_VSOCK;
  addr.svm_cid = cid;
  addr.svm_port = port;
  return ConnectStream(sys, AF_VSOCK, reinterpret_cast<const sockaddr*>(&addr),
                       sizeof(addr),
                       absl::StrCat("connect ", VsockAddressName(cid, port)),
                       options);
}

}  // namespace sshproxy::net
