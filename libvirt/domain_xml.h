// Copyright 2026 The ssh-socket-proxy Authors.
//
// Reading a libvirt domain's vsock CID from its XML description, as
// virDomainGetXMLDesc() returns it for a running domain:
//
//   <domain type='kvm' id='1'>
//     <name>web</name>
//     <devices>
//       <vsock model='virtio'>
//         <cid auto='yes' address='4711'/>   <- the first
//       </vsock>                                /domain/devices/vsock/cid/@address
//     </devices>
//   </domain>
//
// The XML comes from whatever answers on libvirt's socket, so it is treated
// as untrusted input: parsed by libxml2 without network access, without
// loading or expanding entities (a document with a DTD is refused: libvirt
// never writes one), with libxml2's default depth limit, and no larger than
// kMaxDomainXml. Fuzzed by //fuzz:libvirt_xml_fuzz_test.
//
// Example:
//
//   absl::StatusOr<uint32_t> cid = CidFromDomainXml(xml);
//   if (absl::IsNotFound(cid.status())) { ... no <vsock> device ... }

#ifndef SSHPROXY_LIBVIRT_DOMAIN_XML_H_
#define SSHPROXY_LIBVIRT_DOMAIN_XML_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sshproxy::libvirt {

// A domain description is a few kilobytes; even one with thousands of
// devices stays far below this.
inline constexpr size_t kMaxDomainXml = 4 << 20;

// Returns the CID of the first <cid> with an address attribute, in document
// order, among /domain/devices/vsock/cid (elements and attribute without a
// namespace). The address is a decimal number from 3 to 4294967294 without
// sign, whitespace or leading zeros (0, 1 and 2 are the hypervisor, loopback
// and host; 4294967295 is VMADDR_CID_ANY). Otherwise:
//   NotFoundError     there is no /domain/devices/vsock element;
//   UnavailableError  there is one, but no <cid> with an address yet (a
//                     domain that is not running, or still starting);
//   DataLossError     not well-formed XML, larger than kMaxDomainXml, a DTD,
//                     a root element other than <domain>, or an address that
//                     is not such a number (quoted in the message).
// Messages are one printable line. Thread-safe; no I/O.
absl::StatusOr<uint32_t> CidFromDomainXml(absl::string_view xml);

}  // namespace sshproxy::libvirt

#endif  // SSHPROXY_LIBVIRT_DOMAIN_XML_H_
