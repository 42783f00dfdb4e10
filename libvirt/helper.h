// Copyright 2026 The ssh-socket-proxy Authors.
//
// The qemu/ lookup helper, ssh-socket-proxy-libvirt: looks a libvirt domain
// up read-only and prints its vsock CID as one line of JSON on stdout. The
// protocol is libvirt/protocol.h, shared with the proxy's side
// (lookup/libvirt.h); this is the other side, the only code that links
// libvirt.
//
//   ssh-socket-proxy-libvirt any web                 qemu:///system, then
//                                                    qemu:///session (not as root)
//   ssh-socket-proxy-libvirt system 1                qemu:///system only
//   ssh-socket-proxy-libvirt any web test:///n.xml   that URI only
//
// Like libvirt-ssh-proxy (libvirt 10.8+) it opens each connection with
// virConnectOpenReadOnly and tries DOMAIN as a name, then a UUID, then a
// numeric ID; the CID is the first /domain/devices/vsock/cid/@address of
// the running domain's XML (libvirt/domain_xml.h). libvirt's own error
// printing is silenced; its message for the failure that matters is passed
// on, in one line.

#ifndef SSHPROXY_LIBVIRT_HELPER_H_
#define SSHPROXY_LIBVIRT_HELPER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "libvirt/protocol.h"
#include "nlohmann/json.hpp"

namespace sshproxy::libvirt {

// The connections to ask, in order: `uri` alone when it is not empty, else
// qemu:///system for Scope::kSystem, qemu:///session for kSession, and for
// kAny both, but only qemu:///system when `root`. Empty for kSession when
// `root`: root has no session libvirt of its own to ask (libvirt-ssh-proxy
// skips it too), see RootSessionError().
std::vector<std::string> LibvirtUris(Scope scope, absl::string_view uri, bool root);

// The error answer (HelperError::kNoSession) for qemu:session/ as root.
nlohmann::json RootSessionError();

// Stops libvirt and libxml2 from printing their errors on stderr; the
// answer carries the one that matters.
void SilenceLibraries();

// Looks `domain` up at each of `uris` in turn (name, UUID, ID) and returns
// the answer for the first connection that knows it, or an error answer:
// kNotFound naming every connection asked (and those that could not be
// reached), kUnreachable/kDenied when none could be, kShutOff, kNoVsock,
// kNoCid, kBadXml for the domain found.
nlohmann::json FindDomain(const std::vector<std::string>& uris,
                          const std::string& domain);

// main() of ssh-socket-proxy-libvirt. Returns 0 with an answer, 1 with an
// error answer, 2 (and an error answer) on bad usage.
int HelperMain(int argc, char** argv);

}  // namespace sshproxy::libvirt

#endif  // SSHPROXY_LIBVIRT_HELPER_H_
