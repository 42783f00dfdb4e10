// Copyright 2026 The ssh-socket-proxy Authors.

#include "libvirt/domain_xml.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace sshproxy::libvirt {
namespace {

// A running domain as libvirt's test driver describes it, with `devices`
// inside <devices>.
std::string Domain(absl::string_view devices) {
  return absl::StrCat(
      "<domain type='test' id='1'>\n  <name>web</name>\n"
      "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
      "  <devices>\n",
      devices, "\n  </devices>\n</domain>\n");
}

struct Good {
  std::string xml;
  uint32_t cid;
};

TEST(CidFromDomainXmlTest, FindsTheFirstAddress) {
  const Good cases[] = {
      {Domain("<vsock model='virtio'><cid auto='no' address='4711'/></vsock>"), 4711},
      {Domain("<vsock model='virtio'>\n<cid auto='yes' address='3'/>\n"
              "<alias name='vsock0'/></vsock>"),
       3},
      {Domain("<vsock><cid address=\"4294967294\"/></vsock>"), 4294967294u},
      // Two vsock devices (libvirt allows one; we take the first).
      {Domain("<vsock><cid address='10'/></vsock><vsock><cid address='11'/></vsock>"), 10},
      // A <cid> without an address is skipped, as XPath .../cid/@address does.
      {Domain("<vsock><cid auto='yes'/><cid address='12'/></vsock>"), 12},
      // Other devices and a second <devices> (invalid for libvirt, harmless).
      {Domain("<disk type='file'/><vsock><cid address='13'/></vsock>"), 13},
      {absl::StrCat("<?xml version='1.0'?><domain><devices/><devices><vsock>"
                    "<cid address='14'/></vsock></devices></domain>"),
       14},
      // Predefined character references resolve like any XML reader.
      {Domain("<vsock><cid address='&#52;&#55;11'/></vsock>"), 4711},
      // Metadata from other schemas does not count, wherever it is.
      {absl::StrCat("<domain><metadata><vsock><cid address='99'/></vsock></metadata>"
                    "<devices><vsock><cid address='15'/></vsock></devices></domain>"),
       15},
  };
  for (const Good& c : cases) {
    SCOPED_TRACE(c.xml);
    absl::StatusOr<uint32_t> cid = CidFromDomainXml(c.xml);
    ASSERT_TRUE(cid.ok()) << cid.status();
    EXPECT_EQ(*cid, c.cid);
  }
}

struct Bad {
  std::string xml;
  absl::StatusCode code;
  std::vector<absl::string_view> words;
};

std::string Nested(int depth) {
  std::string xml = "<domain><devices><vsock><cid address='5'/></vsock></devices>";
  for (int i = 0; i < depth; ++i) xml += "<x>";
  for (int i = 0; i < depth; ++i) xml += "</x>";
  return xml + "</domain>";
}

TEST(CidFromDomainXmlTest, RefusesWhatIsNotACid) {
  using absl::StatusCode;
  const std::string laughs =
      "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'>"
      "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
      "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
      "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>"
      "<!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
      "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>"
      "<!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>]>"
      "<domain><devices><vsock><cid address='&g;'/></vsock></devices></domain>";
  const Bad cases[] = {
      // No device, or no address yet.
      {Domain(""), StatusCode::kNotFound, {"no <vsock> device"}},
      {"<domain/>", StatusCode::kNotFound, {"no <vsock> device"}},
      {"<domain><vsock><cid address='5'/></vsock></domain>", StatusCode::kNotFound, {}},
      {Domain("<vsock model='virtio'><cid auto='yes'/></vsock>"),
       StatusCode::kUnavailable, {"no CID address"}},
      {Domain("<vsock model='virtio'/>"), StatusCode::kUnavailable, {}},
      {Domain("<vsock><x:cid xmlns:x='urn:x' address='5'/></vsock>"),
       StatusCode::kUnavailable, {}},
      {Domain("<vsock><cid xmlns:x='urn:x' x:address='5'/></vsock>"),
       StatusCode::kUnavailable, {}},
      // Addresses that are not a guest's CID.
      {Domain("<vsock><cid address='-1'/></vsock>"), StatusCode::kDataLoss,
       {"vsock CID \"-1\"", "not a decimal number"}},
      {Domain("<vsock><cid address='4294967295'/></vsock>"), StatusCode::kDataLoss,
       {"VMADDR_CID_ANY"}},
      {Domain("<vsock><cid address='4294967296'/></vsock>"), StatusCode::kDataLoss,
       {"out of range"}},
      {Domain("<vsock><cid address='99999999999999999999'/></vsock>"),
       StatusCode::kDataLoss, {"not a CID"}},
      {Domain("<vsock><cid address='abc'/></vsock>"), StatusCode::kDataLoss,
       {"\"abc\" is not a decimal number"}},
      {Domain("<vsock><cid address='0x10'/></vsock>"), StatusCode::kDataLoss, {}},
      {Domain("<vsock><cid address=' 5'/></vsock>"), StatusCode::kDataLoss, {}},
      {Domain("<vsock><cid address='+5'/></vsock>"), StatusCode::kDataLoss, {}},
      {Domain("<vsock><cid address=''/></vsock>"), StatusCode::kDataLoss, {"\"\""}},
      {Domain("<vsock><cid address='007'/></vsock>"), StatusCode::kDataLoss,
       {"leading zeros"}},
      {Domain("<vsock><cid address='2'/></vsock>"), StatusCode::kDataLoss,
       {"reserved"}},
      {Domain("<vsock><cid address='5&#10;'/></vsock>"), StatusCode::kDataLoss,
       {"\"5\\n\""}},
      // The first address decides, even when a later one would do.
      {Domain("<vsock><cid address='x'/><cid address='5'/></vsock>"),
       StatusCode::kDataLoss, {"\"x\""}},
      // Not libvirt's XML at all.
      {"", StatusCode::kDataLoss, {"not well-formed"}},
      {"<domain>", StatusCode::kDataLoss, {"not well-formed"}},
      {"<domain></Domain>", StatusCode::kDataLoss, {"not well-formed", "line 1"}},
      {std::string("<domain>\0</domain>", 18), StatusCode::kDataLoss, {}},
      {"<network/>", StatusCode::kDataLoss, {"root element is not <domain>"}},
      {"<d:domain xmlns:d='urn:x'/>", StatusCode::kDataLoss, {"root element"}},
      // Hostile: entities (never expanded: any DTD is refused), external
      // entities (never loaded), deep nesting, huge documents.
      {laughs, StatusCode::kDataLoss, {}},
      {"<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'><domain/>",
       StatusCode::kDataLoss, {"DTD"}},
      {"<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
       "<domain><devices><vsock><cid address='&x;'/></vsock></devices></domain>",
       StatusCode::kDataLoss, {}},
      {Nested(100000), StatusCode::kDataLoss, {"not well-formed"}},
      {Domain(std::string(kMaxDomainXml, ' ')), StatusCode::kDataLoss, {"larger than"}},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.xml.substr(0, 300));
    absl::StatusOr<uint32_t> cid = CidFromDomainXml(c.xml);
    ASSERT_FALSE(cid.ok()) << *cid;
    EXPECT_EQ(cid.status().code(), c.code) << cid.status();
    const std::string message(cid.status().message());
    for (char ch : message) {
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << message;
    }
    for (absl::string_view word : c.words) {
      EXPECT_NE(message.find(std::string(word)), std::string::npos)
          << "missing \"" << word << "\" in: " << message;
    }
  }
}

TEST(CidFromDomainXmlTest, ModerateNestingIsFine) {
  absl::StatusOr<uint32_t> cid = CidFromDomainXml(Nested(200));
  ASSERT_TRUE(cid.ok()) << cid.status();
  EXPECT_EQ(*cid, 5u);
}

}  // namespace
}  // namespace sshproxy::libvirt
