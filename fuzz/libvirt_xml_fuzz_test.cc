// Copyright 2026 The ssh-socket-proxy Authors.
//
// Fuzzes CidFromDomainXml with any bytes a process answering on libvirt's
// socket could pass off as a domain's XML. Properties: it never crashes,
// hangs or throws; every result is a real guest CID or one of the documented
// errors with a one-line printable message; a CID it reads it reads again
// from the canonical XML libvirt would write for it, and an input that
// names an address must contain the word.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "libvirt/domain_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sshproxy::libvirt::CidFromDomainXml;
  // Well above any seed, well below kMaxDomainXml: the cap has a unit test.
  if (size > 256 * 1024) return 0;
  const absl::string_view xml(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<uint32_t> cid = CidFromDomainXml(xml);
  if (!cid.ok()) {
    const absl::StatusCode code = cid.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kNotFound ||
                   code == absl::StatusCode::kUnavailable ||
                   code == absl::StatusCode::kDataLoss,
               "unexpected code %d", static_cast<int>(code));
    FUZZ_CHECK(!cid.status().message().empty(), "empty message");
    for (char c : cid.status().message()) {
      FUZZ_CHECK(c >= 0x20 && c < 0x7f, "unprintable byte %d in message",
                 static_cast<unsigned char>(c));
    }
    return 0;
  }
  FUZZ_CHECK(*cid >= 3 && *cid != 0xffffffffu, "CID %u is not a guest's", *cid);
  FUZZ_CHECK(xml.find("address") != absl::string_view::npos,
             "CID %u without an address attribute", *cid);
  const std::string canonical = absl::StrCat(
      "<domain type='kvm'><devices><vsock model='virtio'><cid auto='no' address='",
      *cid, "'/></vsock></devices></domain>");
  absl::StatusOr<uint32_t> again = CidFromDomainXml(canonical);
  FUZZ_CHECK(again.ok() && *again == *cid, "canonical XML for CID %u reads back differently",
             *cid);
  return 0;
}
