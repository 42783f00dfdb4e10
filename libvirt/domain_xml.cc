// Copyright 2026 The ssh-socket-proxy Authors.

#include "libvirt/domain_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sshproxy::libvirt {
namespace {

struct FreeDoc {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct FreeCtxt {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
struct FreeXmlChar {
  void operator()(xmlChar* s) const { xmlFree(s); }
};

// No network, no entity substitution (XML_PARSE_NOENT is what would turn it
// on), no DTD loading, and libxml2's own limits (no XML_PARSE_HUGE). Errors
// are read from the context instead of printed on stderr.
constexpr int kParseOptions =
    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;

absl::string_view Text(const xmlChar* s) {
  return s == nullptr ? absl::string_view() : reinterpret_cast<const char*>(s);
}

// An element of libvirt's schema: the name, in no namespace.
bool IsElement(const xmlNode* node, absl::string_view name) {
  return node->type == XML_ELEMENT_NODE && node->ns == nullptr &&
         Text(node->name) == name;
}

absl::Status Malformed(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("domain XML: ", why));
}

absl::StatusOr<uint32_t> ParseCid(absl::string_view text) {
  const std::string quoted = absl::StrCat("\"", absl::CHexEscape(text), "\"");
  if (text.empty() || text.size() > 10) {
    return Malformed(absl::StrCat("vsock CID ", quoted, " is not a CID"));
  }
  uint64_t value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return Malformed(absl::StrCat("vsock CID ", quoted, " is not a decimal number"));
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (text.size() > 1 && text[0] == '0') {
    return Malformed(absl::StrCat("vsock CID ", quoted, " has leading zeros"));
  }
  if (value == 0xffffffffull) {
    return Malformed(absl::StrCat("vsock CID ", quoted,
                                  " is VMADDR_CID_ANY, a wildcard, not an address"));
  }
  if (value > 0xffffffffull) {
    return Malformed(absl::StrCat("vsock CID ", quoted, " is out of range"));
  }
  if (value < 3) {
    return Malformed(absl::StrCat("vsock CID ", quoted,
                                  " is reserved (0 hypervisor, 1 loopback, 2 host)"));
  }
  return static_cast<uint32_t>(value);
}

// The first /domain/devices/vsock/cid/@address in document order.
absl::StatusOr<uint32_t> FindCid(const xmlNode* domain) {
  bool has_vsock = false;
  for (const xmlNode* devices = domain->children; devices != nullptr;
       devices = devices->next) {
    if (!IsElement(devices, "devices")) continue;
    for (const xmlNode* vsock = devices->children; vsock != nullptr;
         vsock = vsock->next) {
      if (!IsElement(vsock, "vsock")) continue;
      has_vsock = true;
      for (const xmlNode* cid = vsock->children; cid != nullptr; cid = cid->next) {
        if (!IsElement(cid, "cid")) continue;
        // xmlGetNoNsProp: the attribute without a namespace, entities and
        // all already resolved by the parser (there are none: no DTD).
        std::unique_ptr<xmlChar, FreeXmlChar> address(
            xmlGetNoNsProp(cid, reinterpret_cast<const xmlChar*>("address")));
        if (address != nullptr) return ParseCid(Text(address.get()));
      }
    }
  }
  if (!has_vsock) return absl::NotFoundError("the domain has no <vsock> device");
  return absl::UnavailableError(
      "the domain's <vsock> device has no CID address (yet)");
}

}  // namespace

absl::StatusOr<uint32_t> CidFromDomainXml(absl::string_view xml) {
  if (xml.size() > kMaxDomainXml) {
    return Malformed(absl::StrCat("larger than ", kMaxDomainXml, " bytes"));
  }
  std::unique_ptr<xmlParserCtxt, FreeCtxt> ctxt(xmlNewParserCtxt());
  if (ctxt == nullptr) return absl::ResourceExhaustedError("xmlNewParserCtxt failed");
  std::unique_ptr<xmlDoc, FreeDoc> doc(
      xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()),
                        "domain.xml", /*encoding=*/nullptr, kParseOptions));
  if (doc == nullptr || !ctxt->wellFormed) {
    const xmlError* error = xmlCtxtGetLastError(ctxt.get());
    std::string why = error != nullptr && error->message != nullptr
                          ? std::string(absl::StripAsciiWhitespace(error->message))
                          : "unknown error";
    if (error != nullptr) absl::StrAppend(&why, " (line ", error->line, ")");
    return Malformed(absl::StrCat("not well-formed: ", absl::CHexEscape(why)));
  }
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return Malformed("has a DTD, which libvirt never writes");
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || !IsElement(root, "domain")) {
    return Malformed("the root element is not <domain>");
  }
  return FindCid(root);
}

}  // namespace sshproxy::libvirt
