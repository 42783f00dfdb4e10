// Copyright 2026 The ssh-socket-proxy Authors.
//
// The helper's lookup against libvirt's test driver: the real library with
// a fake hypervisor, no daemon (testdata/libvirt/node.xml).

#include "libvirt/helper.h"

#include <stdlib.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sshproxy::libvirt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FindDomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SilenceLibraries();
    char* abs = realpath("testdata/libvirt/node.xml", nullptr);
    ASSERT_NE(abs, nullptr);
    node_ = absl::StrCat("test://", abs);
    free(abs);
    // Another node that knows none of its domains: an empty one.
    empty_ = "test:///default";
  }
  std::string node_;
  std::string empty_;
  const std::string missing_ = "test:///nonexistent/node.xml";
};

TEST_F(FindDomainTest, ByNameUuidAndId) {
  for (const char* asked : {"web", "6695eb01-f6a4-8304-79aa-97f2502e193f", "1"}) {
    nlohmann::json a = FindDomain({node_}, asked);
    EXPECT_EQ(a, (nlohmann::json{{"cid", 4711}, {"uri", node_}, {"name", "web"}, {"id", 1}}))
        << asked;
  }
}

TEST_F(FindDomainTest, AsksTheNextConnectionAsSystemThenSession) {
  // The first does not know it, the second does.
  nlohmann::json a = FindDomain({empty_, node_}, "web");
  EXPECT_EQ(a["uri"], node_);
  EXPECT_EQ(a["cid"], 4711);
  // The first cannot be reached: still the second.
  a = FindDomain({missing_, node_}, "web");
  EXPECT_EQ(a["uri"], node_);
}

TEST_F(FindDomainTest, NotFoundNamesEveryConnection) {
  nlohmann::json a = FindDomain({empty_, node_}, "nosuch");
  EXPECT_EQ(a["error"], "not_found");
  EXPECT_EQ(a["message"], absl::StrCat("qemu domain 'nosuch' not found at ", empty_,
                                       " or ", node_));
  a = FindDomain({node_, missing_}, "nosuch");
  EXPECT_EQ(a["error"], "not_found");
  EXPECT_THAT(a["message"].get<std::string>(),
              HasSubstr(absl::StrCat("qemu domain 'nosuch' not found at ", node_,
                                     "; cannot reach libvirt at ", missing_, ": ")));
}

TEST_F(FindDomainTest, Unreachable) {
  nlohmann::json a = FindDomain({missing_, missing_ + "2"}, "web");
  EXPECT_EQ(a["error"], "unreachable");
  EXPECT_THAT(a["message"].get<std::string>(),
              HasSubstr(absl::StrCat("cannot reach libvirt at ", missing_, ": ")));
  EXPECT_THAT(a["message"].get<std::string>(),
              HasSubstr(absl::StrCat("; at ", missing_, "2: ")));
}

TEST_F(FindDomainTest, DomainsThatCannotBeReached) {
  nlohmann::json a = FindDomain({node_}, "novsock");
  EXPECT_EQ(a["error"], "no_vsock");
  EXPECT_THAT(a["message"].get<std::string>(),
              HasSubstr("<vsock model='virtio'><cid auto='yes'/></vsock>"));
  a = FindDomain({node_}, "off");
  EXPECT_EQ(a["error"], "shut_off");
  // The advice is a field of its own: the proxy puts --wait's summary
  // between the two.
  EXPECT_EQ(a["message"], absl::StrCat("qemu domain 'off' at ", node_, " is shut off"));
  EXPECT_EQ(a["hint"], absl::StrCat("start it (virsh -c ", node_, " start off)"));
  // An ID that is not running is not an ID.
  a = FindDomain({node_}, "3");
  EXPECT_EQ(a["error"], "not_found");
}

TEST(LibvirtUrisTest, ScopesAsLibvirtSshProxy) {
  EXPECT_THAT(LibvirtUris(Scope::kAny, "", false),
              ElementsAre("qemu:///system", "qemu:///session"));
  EXPECT_THAT(LibvirtUris(Scope::kAny, "", true), ElementsAre("qemu:///system"));
  EXPECT_THAT(LibvirtUris(Scope::kSystem, "", false), ElementsAre("qemu:///system"));
  EXPECT_THAT(LibvirtUris(Scope::kSession, "", false), ElementsAre("qemu:///session"));
  // root has no session libvirt: nothing to ask, RootSessionError() says so.
  EXPECT_THAT(LibvirtUris(Scope::kSession, "", true), ElementsAre());
  EXPECT_THAT(LibvirtUris(Scope::kSession, "test:///x", true), ElementsAre("test:///x"));
  EXPECT_THAT(LibvirtUris(Scope::kSystem, "test:///x", false), ElementsAre("test:///x"));
}

}  // namespace
}  // namespace sshproxy::libvirt
