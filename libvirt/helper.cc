// Copyright 2026 The ssh-socket-proxy Authors.

#include "libvirt/helper.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/xmlerror.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "libvirt/domain_xml.h"
#include "libvirt/protocol.h"
#include "nlohmann/json.hpp"

namespace sshproxy::libvirt {
namespace {

using json = nlohmann::json;

constexpr const char* kSystem = "qemu:///system";
constexpr const char* kSession = "qemu:///session";

struct CloseConnect {
  void operator()(virConnectPtr c) const { virConnectClose(c); }
};
struct FreeDomain {
  void operator()(virDomainPtr d) const { virDomainFree(d); }
};
using Connect = std::unique_ptr<virConnect, CloseConnect>;
using Domain = std::unique_ptr<virDomain, FreeDomain>;

// libvirt prints every error on stderr unless told otherwise; the proxy
// reports the one that matters.
void Silent(void* /*opaque*/, virErrorPtr /*error*/) {}

std::string LastError() {
  const virError* e = virGetLastError();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libvirt error";
}

bool LastErrorIsDenied() {
  const virError* e = virGetLastError();
  if (e == nullptr) return false;
  switch (e->code) {
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
    case VIR_ERR_ACCESS_DENIED:
    case VIR_ERR_OPERATION_DENIED:
      return true;
    default:
      return false;
  }
}

// Prints `answer` as one line; returns false if stdout failed.
bool Print(const json& answer) {
  // libvirt's messages may be in any locale; never let bad UTF-8 throw.
  const std::string line = answer.dump(-1, ' ', false, json::error_handler_t::replace);
  std::printf("%s\n", line.c_str());
  return std::fflush(stdout) == 0;
}

json Error(HelperError error, absl::string_view message, absl::string_view hint = "") {
  json answer = {{kErrorKey, std::string(ErrorWord(error))},
                 {kMessageKey, std::string(message)}};
  if (!hint.empty()) answer[kHintKey] = std::string(hint);
  return answer;
}

// As libvirt-ssh-proxy: a name, else a UUID, else a numeric ID.
Domain Lookup(virConnectPtr conn, const std::string& name) {
  if (virDomainPtr d = virDomainLookupByName(conn, name.c_str())) return Domain(d);
  if (virDomainPtr d = virDomainLookupByUUIDString(conn, name.c_str())) return Domain(d);
  int id;
  if (absl::SimpleAtoi(name, &id) && id >= 0 &&
      name.find_first_not_of("0123456789") == std::string::npos) {
    return Domain(virDomainLookupByID(conn, id));
  }
  return nullptr;
}

// libxml2, which libvirt uses, prints its own warnings on stderr too (the
// test driver's "I/O warning : failed to load external entity").
void SilentXml(void* /*ctx*/, const char* /*msg*/, ...) {}

// The answer for a domain that `uri` knows, by its own name in messages
// (`asked` may be a UUID or an ID).
json Answer(virDomainPtr dom, const std::string& uri, const std::string& asked) {
  const char* own_name = virDomainGetName(dom);
  const std::string name = own_name != nullptr ? own_name : asked;
  const std::string what = absl::StrCat("qemu domain '", name, "' at ", uri);
  const int active = virDomainIsActive(dom);
  if (active < 0) return Error(HelperError::kUnreachable, absl::StrCat(what, ": ", LastError()));
  if (active == 0) {
    return Error(HelperError::kShutOff, absl::StrCat(what, " is shut off"),
                 absl::StrCat("start it (virsh -c ", uri, " start ", name, ")"));
  }
  std::unique_ptr<char, decltype(&free)> xml(virDomainGetXMLDesc(dom, 0), &free);
  if (xml == nullptr) {
    return Error(HelperError::kUnreachable, absl::StrCat(what, ": ", LastError()));
  }
  absl::StatusOr<uint32_t> cid = CidFromDomainXml(xml.get());
  if (absl::IsNotFound(cid.status())) {
    return Error(HelperError::kNoVsock,
                 absl::StrCat(what, " has no vsock device: add <vsock model='virtio'>"
                                    "<cid auto='yes'/></vsock> to its <devices> (virsh "
                                    "edit ", name, ") and restart it"));
  }
  if (absl::IsUnavailable(cid.status())) {
    return Error(HelperError::kNoCid, absl::StrCat(what, " has a vsock device without a CID yet"),
                 "is it still starting (--wait)?");
  }
  if (!cid.ok()) {
    return Error(HelperError::kBadXml, absl::StrCat(what, ": ", cid.status().message()));
  }
  return json{{kCidKey, *cid},
              {kUriKey, uri},
              {kNameKey, name},
              {kIdKey, static_cast<int>(virDomainGetID(dom))}};
}

}  // namespace

std::vector<std::string> LibvirtUris(Scope scope, absl::string_view uri, bool root) {
  if (!uri.empty()) return {std::string(uri)};
  if (scope == Scope::kSystem) return {kSystem};
  if (scope == Scope::kSession) {
    if (root) return {};
    return {kSession};
  }
  // root's session would be a second system instance; libvirt-ssh-proxy
  // skips it too.
  if (root) return {kSystem};
  return {kSystem, kSession};
}

json RootSessionError() {
  return Error(HelperError::kNoSession,
               "qemu:session/ asks the user's own libvirt (qemu:///session), and root "
               "has none: its VMs are at qemu:///system",
               "write qemu:system/NAME or qemu/NAME");
}

void SilenceLibraries() {
  virSetErrorFunc(nullptr, Silent);
  xmlSetGenericErrorFunc(nullptr, SilentXml);
}

json FindDomain(const std::vector<std::string>& uris, const std::string& asked) {
  std::vector<std::string> asked_at;     // connections that answered
  std::vector<std::string> unreachable;  // "URI: why"
  bool denied = false;
  for (const std::string& uri : uris) {
    Connect conn(virConnectOpenReadOnly(uri.c_str()));
    if (conn == nullptr) {
      denied = denied || LastErrorIsDenied();
      unreachable.push_back(absl::StrCat(uri, ": ", LastError()));
      continue;
    }
    if (Domain dom = Lookup(conn.get(), asked)) return Answer(dom.get(), uri, asked);
    asked_at.push_back(uri);
  }
  const std::string why = absl::StrJoin(unreachable, "; at ");
  if (asked_at.empty()) {
    return Error(denied ? HelperError::kDenied : HelperError::kUnreachable,
                 absl::StrCat("cannot reach libvirt at ", why));
  }
  return Error(HelperError::kNotFound,
               absl::StrCat("qemu domain '", asked, "' not found at ",
                            absl::StrJoin(asked_at, " or "),
                            unreachable.empty() ? "" : "; cannot reach libvirt at ",
                            why));
}

int HelperMain(int argc, char** argv) {
  const std::optional<Scope> scope = ParseScope(argc > 1 ? argv[1] : "");
  if (argc < 3 || argc > 4 || !scope.has_value()) {
    Print(Error(HelperError::kUsage,
                absl::StrCat("usage: ", kHelperName, " any|system|session DOMAIN [URI]")));
    return 2;
  }
  SilenceLibraries();
  if (virInitialize() < 0) {
    Print(Error(HelperError::kUnreachable,
                absl::StrCat("libvirt did not initialize: ", LastError())));
    return 1;
  }
  const std::vector<std::string> uris =
      LibvirtUris(*scope, argc > 3 ? argv[3] : "", geteuid() == 0);
  const json answer = uris.empty() ? RootSessionError() : FindDomain(uris, argv[2]);
  if (!Print(answer)) return 1;
  return answer.contains(kErrorKey) ? 1 : 0;
}

}  // namespace sshproxy::libvirt
