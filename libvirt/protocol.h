// Copyright 2026 The ssh-socket-proxy Authors.
//
// The wire protocol of the qemu/ lookup helper, ssh-socket-proxy-libvirt,
// written once for both of its sides: the helper (libvirt/helper.h) and the
// proxy's client of it. The proxy is static and must start on machines
// without libvirt, so the one lookup that needs libvirt runs in this helper:
//
//   ssh-socket-proxy-libvirt SCOPE DOMAIN [URI]     SCOPE: any, system, session
//
// It prints one line of JSON on stdout (a pipe to the proxy, never ssh's) and
// exits 0 with an answer, 1 with an error answer, 2 on bad usage:
//
//   {"cid":4711,"uri":"qemu:///system","id":1,"name":"web"}
//   {"error":"shut_off","message":"qemu domain 'web' at qemu:///system is shut
//    off","hint":"start it (virsh -c qemu:///system start web)"}
//
// "hint" is optional. Nothing here links libvirt: the proxy includes it too.

#ifndef SSHPROXY_LIBVIRT_PROTOCOL_H_
#define SSHPROXY_LIBVIRT_PROTOCOL_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace sshproxy::libvirt {

inline constexpr absl::string_view kHelperName = "ssh-socket-proxy-libvirt";

// The answer is one short line; anything longer is not the helper.
inline constexpr size_t kMaxAnswer = 64 * 1024;

// The answer's keys.
inline constexpr char kCidKey[] = "cid";
inline constexpr char kUriKey[] = "uri";
inline constexpr char kNameKey[] = "name";
inline constexpr char kIdKey[] = "id";
inline constexpr char kErrorKey[] = "error";
inline constexpr char kMessageKey[] = "message";
inline constexpr char kHintKey[] = "hint";

// Which libvirt connections to ask (SCOPE): "any" is qemu:///system, then
// qemu:///session (not as root); "system" and "session" that one only.
enum class Scope { kAny, kSystem, kSession };

// The word for `scope` on the command line, and back (nullopt: no scope).
absl::string_view ScopeWord(Scope scope);
std::optional<Scope> ParseScope(absl::string_view word);

// Why the helper gave no CID ("error").
enum class HelperError {
  kUsage,        // bad command line
  kNotFound,     // no connection asked knows the domain
  kUnreachable,  // libvirt could not be reached or failed
  kDenied,       // libvirt refused the connection
  kShutOff,      // the domain is not running
  kNoVsock,      // the domain has no vsock device
  kNoCid,        // its vsock device has no CID yet (still starting)
  kNoSession,    // qemu:session/ as root, who has no session libvirt
  kBadXml,       // the domain's XML is malformed
};

// The word for `error` in the answer, and back (nullopt: not one of ours).
absl::string_view ErrorWord(HelperError error);
std::optional<HelperError> ParseError(absl::string_view word);

}  // namespace sshproxy::libvirt

#endif  // SSHPROXY_LIBVIRT_PROTOCOL_H_
