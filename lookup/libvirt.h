// Copyright 2026 The ssh-socket-proxy Authors.
//
// qemu/NAME: finding a libvirt domain's vsock CID. The proxy is static and
// must start on machines without libvirt, so the lookup runs in a helper
// executable that links libvirt (//cli:ssh-socket-proxy-libvirt); its
// protocol is libvirt/protocol.h. This is the proxy's side of it.
//
// The helper is looked for next to the proxy's own executable (the build
// tree: bazel-bin/cli/) and in PREFIX/libexec/ssh-socket-proxy/ when the
// proxy is PREFIX/bin/ssh-socket-proxy (the installed layout).

#ifndef SSHPROXY_LOOKUP_LIBVIRT_H_
#define SSHPROXY_LOOKUP_LIBVIRT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libvirt/protocol.h"
#include "lookup/process.h"

namespace sshproxy::lookup {

// What to ask the helper.
struct LibvirtQuery {
  libvirt::Scope scope = libvirt::Scope::kAny;
  std::string domain;  // name, UUID or ID
  std::string uri;     // non-empty: ask only this connection
};

// A running domain with a vsock CID.
struct LibvirtDomain {
  std::string uri;   // the connection that knew it
  std::string name;  // its name, whatever it was looked up by
  int64_t id = -1;   // its ID
  uint32_t cid = 0;
};

// Returns true iff `uri` names a libvirt on this machine: "DRIVER:///PATH" or
// "DRIVER+unix:///PATH" with no host ("qemu:///system", "qemu:///session",
// "test:///default", "qemu+unix:///system?socket=..."). A URI with a host
// or another transport (qemu+ssh://other/system) reaches another machine,
// whose vsock CIDs mean nothing here; a bare alias (libvirt.conf's
// uri_aliases) may name one.
bool IsLocalLibvirtUri(absl::string_view uri);

// The paths to try for the helper, given the proxy's own path `self`:
// DIR/ssh-socket-proxy-libvirt, and PREFIX/libexec/ssh-socket-proxy/... when
// `self` is PREFIX/bin/NAME.
std::vector<std::string> LibvirtHelperPaths(absl::string_view self);

// Decodes what the helper printed (`output`, stdout and stderr) and its
// wait(2) status; nullopt when the status is lost (the kernel reaps children
// itself while SIGCHLD is ignored), so only the output tells. Returns the
// domain, or
//   NotFoundError            no such domain (retryable with --wait);
//   UnavailableError         libvirt unreachable, the domain shut off, or its
//                            vsock device has no CID yet (retryable);
//   PermissionDeniedError    libvirt refused the connection;
//   FailedPreconditionError  the domain has no vsock device; qemu:session/ as
//                            root (root has no session libvirt); a library the
//                            helper needs is missing (the loader's exit 127:
//                            the message names the library the loader named);
//   DataLossError            the domain's XML or the answer is malformed.
// Messages are one printable line; the helper's hint is the hint field
// (net/error.h).
absl::StatusOr<LibvirtDomain> DecodeLibvirtAnswer(absl::string_view output,
                                                  std::optional<int> wait_status);

// Runs the helper (the first of LibvirtHelperPaths(/proc/self/exe) that
// can be run) for `query` and decodes its answer. The helper is killed when
// it has not answered and exited within `timeout` (DeadlineExceededError).
// A helper that is at none of the paths, or only at paths it cannot be run
// from (EACCES), is FailedPreconditionError naming the paths and what to do.
// A waitpid(2) failure is its errno's error, never a timeout.
absl::StatusOr<LibvirtDomain> LookupLibvirtDomain(ProcessSyscalls& sys,
                                                  const LibvirtQuery& query,
                                                  absl::Duration timeout);

}  // namespace sshproxy::lookup

#endif  // SSHPROXY_LOOKUP_LIBVIRT_H_
