// Copyright 2026 The ssh-socket-proxy Authors.

#include "parser/target.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace sshproxy::parser {
namespace {

struct Accepted {
  std::string host;
  absl::string_view port;
  Target want;
  absl::string_view canonical;  // FormatTarget(want)
};

TEST(ParseTargetTest, Accepts) {
  const Accepted cases[] = {
      // unix/: rooted at "/" unless it starts with "/" or "./".
      {"unix/run/vm.sock", "22", UnixSocket{"/run/vm.sock"}, "unix/run/vm.sock"},
      {"unix//run/vm.sock", "22", UnixSocket{"/run/vm.sock"}, "unix/run/vm.sock"},
      {"unix///run/vm.sock", "22", UnixSocket{"//run/vm.sock"},
       "unix///run/vm.sock"},
      {"unix/./vm.sock", "22", UnixSocket{"./vm.sock"}, "unix/./vm.sock"},
      // Found by the fuzzer: /./ must not be formatted as unix/./
      {"unix//./", "22", UnixSocket{"/./"}, "unix//./"},
      {"unix//./x", "22", UnixSocket{"/./x"}, "unix//./x"},
      {"unix/vm.sock", "22", UnixSocket{"/vm.sock"}, "unix/vm.sock"},
      {"unix//", "22", UnixSocket{"/"}, "unix//"},
      {"unix%run/VM.sock", "22", UnixSocket{"/run/VM.sock"}, "unix/run/VM.sock"},
      {"unix%/run/x", "22", UnixSocket{"/run/x"}, "unix/run/x"},
      // The port is ignored for unix/, whatever it is.
      {"unix/run/x", "", UnixSocket{"/run/x"}, "unix/run/x"},
      {"unix/run/x", "junk", UnixSocket{"/run/x"}, "unix/run/x"},
      // "%" in the rest of the path is an ordinary character.
      {"unix/run/a%b", "22", UnixSocket{"/run/a%b"}, "unix/run/a%b"},
      {"unix/a b", "22", UnixSocket{"/a b"}, "unix/a b"},
      {"unix/" + std::string(300, 'p'), "22",
       UnixSocket{"/" + std::string(300, 'p')}, ""},
      // vsock/: decimal, hexadecimal, names; port from %p.
      {"vsock/4711", "22", Vsock{4711, 22}, "vsock/4711"},
      {"vsock%4711", "22", Vsock{4711, 22}, "vsock/4711"},
      {"vsock/0x1267", "22", Vsock{4711, 22}, "vsock/4711"},
      {"vsock/0X1267", "22", Vsock{4711, 22}, "vsock/4711"},
      {"vsock/0xabcDEF", "22", Vsock{0xabcdef, 22}, "vsock/11259375"},
      {"vsock/0x0008", "22", Vsock{8, 22}, "vsock/8"},
      {"vsock/0", "0", Vsock{0, 0}, "vsock/0"},
      {"vsock/hypervisor", "22", Vsock{0, 22}, "vsock/0"},
      {"vsock/local", "22", Vsock{1, 22}, "vsock/1"},
      {"vsock/host", "22", Vsock{2, 22}, "vsock/2"},
      {"vsock/4294967294", "4294967294", Vsock{4294967294u, 4294967294u},
       "vsock/4294967294"},
      {"vsock/0xfffffffe", "22", Vsock{4294967294u, 22}, "vsock/4294967294"},
      // vsock-mux/: path as for unix/, port from %p.
      {"vsock-mux/run/fc.sock", "22", VsockMux{"/run/fc.sock", 22},
       "vsock-mux/run/fc.sock"},
      {"vsock-mux%run/fc.sock", "1024", VsockMux{"/run/fc.sock", 1024},
       "vsock-mux/run/fc.sock"},
      {"vsock-mux/./fc.sock", "22", VsockMux{"./fc.sock", 22},
       "vsock-mux/./fc.sock"},
      // machine/: systemd's machine names; .host is the local host.
      {"machine/debian", "22", Machine{"debian", 22}, "machine/debian"},
      {"machine%Fedora-40.x_y", "2222", Machine{"Fedora-40.x_y", 2222},
       "machine/Fedora-40.x_y"},
      {"machine/" + std::string(64, 'm'), "22",
       Machine{std::string(64, 'm'), 22}, ""},
      {"machine/.host", "22", LocalHost{}, ".host"},
      {"machine%.host", "junk", LocalHost{}, ".host"},
      {".host", "22", LocalHost{}, ".host"},
      {".host", "", LocalHost{}, ".host"},
      // qemu/: libvirt domains by name, UUID or ID, in either scope.
      {"qemu/web", "2222", Qemu{QemuScope::kAny, "web", 2222}, "qemu/web"},
      {"qemu%Web", "22", Qemu{QemuScope::kAny, "Web", 22}, "qemu/Web"},
      {"qemu:system/web", "22", Qemu{QemuScope::kSystem, "web", 22},
       "qemu:system/web"},
      {"qemu:system%Web", "22", Qemu{QemuScope::kSystem, "Web", 22},
       "qemu:system/Web"},
      {"qemu:session/web", "22", Qemu{QemuScope::kSession, "web", 22},
       "qemu:session/web"},
      {"qemu:session%fedora-40_x.y+z", "22",
       Qemu{QemuScope::kSession, "fedora-40_x.y+z", 22},
       "qemu:session/fedora-40_x.y+z"},
      {"qemu/6695eb01-f6a4-8304-79aa-97f2502e193f", "22",
       Qemu{QemuScope::kAny, "6695eb01-f6a4-8304-79aa-97f2502e193f", 22}, ""},
      {"qemu/1", "22", Qemu{QemuScope::kAny, "1", 22}, "qemu/1"},
      {"qemu/.x", "22", Qemu{QemuScope::kAny, ".x", 22}, "qemu/.x"},
      {"qemu/" + std::string(255, 'q'), "22",
       Qemu{QemuScope::kAny, std::string(255, 'q'), 22}, ""},
  };
  for (const Accepted& c : cases) {
    SCOPED_TRACE(absl::StrCat("ParseTarget(\"", c.host, "\", \"", c.port, "\")"));
    absl::StatusOr<Target> got = ParseTarget(c.host, c.port);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(*got == c.want) << DescribeTarget(*got);
    if (!c.canonical.empty()) EXPECT_EQ(FormatTarget(*got), c.canonical);
    // Round trip through the canonical form.
    absl::StatusOr<Target> again =
        ParseTarget(FormatTarget(*got), FormatPort(*got));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(*again == *got) << DescribeTarget(*again);
  }
}

struct Rejected {
  std::string host;
  absl::string_view port;
  // Every one of these must appear in the message.
  std::vector<absl::string_view> words;
};

TEST(ParseTargetTest, Rejects) {
  const Rejected cases[] = {
      // Unknown forms quote the input and list the grammar.
      {"", "22", {"host \"\"", "expected unix/PATH"}},
      {"example.com", "22", {"host \"example.com\"", "expected unix/PATH"}},
      {"tcp/1.2.3.4", "22", {"\"tcp/1.2.3.4\"", "vsock/CID"}},
      {"/run/x.sock", "22", {"\"/run/x.sock\"", "expected unix/PATH"}},
      {"host", "22", {"expected unix/PATH"}},
      {"unix", "22", {"\"unix\"", "expected \"/\" or \"%\" after \"unix\""}},
      {"unix:/run/x", "22", {"after \"unix\""}},
      {"vsock-mux", "22", {"after \"vsock-mux\""}},
      {"vsock:3", "22", {"after \"vsock\""}},
      {"machine", "22", {"after \"machine\""}},
      {"UNIX/run/x", "22", {"prefixes are lowercase", "unix/..."}},
      {"Vsock%3", "22", {"prefixes are lowercase", "vsock%..."}},
      {"vsock_mux/x", "22", {"after \"vsock\""}},
      {"host.", "22", {"expected unix/PATH"}},
      {"..host", "22", {"expected unix/PATH"}},
      // NUL bytes, anywhere.
      {std::string("unix/run\0x", 10), "22", {"NUL byte", "\\x00"}},
      {std::string(".host\0", 6), "22", {"NUL byte"}},
      // Empty paths: systemd would connect to "/".
      {"unix/", "22", {"unix path is empty", "unix/PATH"}},
      {"unix%", "22", {"unix path is empty"}},
      {"vsock-mux/", "22", {"vsock-mux path is empty"}},
      // vsock CIDs.
      {"vsock/", "22", {"vsock CID \"\"", "is empty"}},
      {"vsock/+3", "22", {"vsock CID \"+3\"", "signs are not allowed"}},
      {"vsock/-1", "22", {"vsock CID \"-1\"", "signs are not allowed"}},
      {"vsock/ 3", "22", {"whitespace is not allowed"}},
      {"vsock/3 ", "22", {"whitespace is not allowed"}},
      {"vsock/3\n", "22", {"whitespace is not allowed", "\\n"}},
      {"vsock/3\t4", "22", {"whitespace is not allowed"}},
      {"vsock/3x", "22", {"vsock CID \"3x\"", "not a number"}},
      {"vsock/3.0", "22", {"not a number"}},
      {"vsock/any", "22", {"VMADDR_CID_ANY", "wildcard"}},
      {"vsock/Host", "22", {"not a number", "hypervisor, local, host"}},
      {"vsock/4294967295", "22", {"VMADDR_CID_ANY (4294967295)", "wildcard"}},
      {"vsock/0xffffffff", "22", {"VMADDR_CID_ANY", "wildcard"}},
      {"vsock/4294967296", "22", {"out of range", "0 to 4294967294"}},
      {"vsock/0x100000000", "22", {"out of range"}},
      {"vsock/99999999999999999999999999", "22", {"out of range"}},
      {"vsock/010", "22",
       {"vsock CID \"010\": leading zeros are ambiguous (octal?); write 8 or "
        "0x8"}},
      {"vsock/00", "22", {"leading zeros are ambiguous", "write 0 or 0x0"}},
      {"vsock/09", "22", {"leading zeros are not allowed; write 9"}},
      {"vsock/0x", "22", {"no hexadecimal digits"}},
      {"vsock/0xg", "22", {"not a hexadecimal number"}},
      {"vsock/0x-1", "22", {"not a hexadecimal number"}},
      // Ports (%p), for every prefix that uses one.
      {"vsock/3", "", {"port \"\"", "is empty"}},
      {"vsock/3", "-1", {"port \"-1\"", "signs are not allowed"}},
      {"vsock/3", "+22", {"signs are not allowed"}},
      {"vsock/3", " 22", {"whitespace is not allowed"}},
      {"vsock/3", "22 ", {"whitespace is not allowed"}},
      {"vsock/3", "22x", {"port \"22x\"", "not a decimal number"}},
      {"vsock/3", "0x16", {"not a decimal number"}},
      {"vsock/3", "ssh", {"not a decimal number"}},
      {"vsock/3", "022", {"leading zeros are not allowed; write 22"}},
      {"vsock/3", "4294967295", {"VMADDR_PORT_ANY", "wildcard"}},
      {"vsock/3", "4294967296", {"out of range"}},
      {"vsock/3", "any", {"VMADDR_PORT_ANY"}},
      {"vsock-mux/run/fc.sock", "", {"port \"\"", "is empty"}},
      {"vsock-mux/run/fc.sock", "1e3", {"not a decimal number"}},
      {"machine/debian", "x", {"port \"x\"", "not a decimal number"}},
      // Machine names.
      {"machine/", "22", {"machine name is empty"}},
      {"machine/.debian", "22", {"machine name \".debian\"", "not a valid"}},
      {"machine/a..b", "22", {"machine name \"a..b\"", "not a valid"}},
      {"machine/a.", "22", {"not a valid"}},
      {"machine/a b", "22", {"not a valid"}},
      {"machine/a/b", "22", {"not a valid"}},
      {"machine/ümlaut", "22", {"not a valid", "\\xc3\\xbc"}},
      {"machine/" + std::string(65, 'm'), "22", {"longer than 64"}},
      // qemu/ domains and connections.
      {"qemu/", "22", {"qemu domain is empty", "qemu/NAME"}},
      {"qemu%", "22", {"qemu domain is empty"}},
      {"qemu:system/", "22", {"qemu domain is empty"}},
      {"qemu/a b", "22", {"qemu domain \"a b\"", "not a domain name"}},
      {"qemu/a/b", "22", {"qemu domain \"a/b\""}},
      {"qemu/a'b", "22", {"not a domain name"}},
      {"qemu/a$b", "22", {"not a domain name"}},
      {"qemu/\xc3\xbc", "22", {"\\xc3\\xbc"}},
      {"qemu/" + std::string(256, 'q'), "22", {"longer than 255"}},
      {"qemu/web", "", {"port \"\"", "is empty"}},
      {"qemu:system/web", "022", {"leading zeros are not allowed"}},
      {"qemu", "22", {"after \"qemu\""}},
      {"qemu:system", "22", {"after \"qemu:system\""}},
      {"qemu:System/web", "22", {"unknown libvirt connection \"System\""}},
      {"qemu:user/web", "22",
       {"unknown libvirt connection \"user\"", "qemu:system/NAME"}},
      {"qemu:/web", "22", {"unknown libvirt connection \"\""}},
      {"qemu:///system/web", "22", {"unknown libvirt connection"}},
      {"QEMU/web", "22", {"prefixes are lowercase", "qemu/..."}},
      {"qemux/web", "22", {"after \"qemu\""}},
  };
  for (const Rejected& c : cases) {
    SCOPED_TRACE(absl::StrCat("ParseTarget(\"", absl::CHexEscape(c.host),
                              "\", \"", c.port, "\")"));
    absl::StatusOr<Target> got = ParseTarget(c.host, c.port);
    ASSERT_FALSE(got.ok()) << DescribeTarget(*got);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(got.status().message());
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (absl::string_view word : c.words) {
      EXPECT_NE(message.find(std::string(word)), std::string::npos)
          << "missing \"" << word << "\" in: " << message;
    }
  }
}

TEST(ParseTargetTest, VsockNeverSwallowsVsockMux) {
  absl::StatusOr<Target> got = ParseTarget("vsock-mux/3", "22");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == Target(VsockMux{"/3", 22}));
}

TEST(ParseTargetTest, HostErrorsComeBeforePortErrors) {
  absl::StatusOr<Target> got = ParseTarget("vsock/x", "y");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("vsock CID"), absl::string_view::npos)
      << got.status();
}

TEST(FormatTest, DescribesEveryForm) {
  EXPECT_EQ(DescribeTarget(UnixSocket{"/run/x"}), "unix /run/x");
  EXPECT_EQ(DescribeTarget(UnixSocket{"/run/a\nb"}), "unix /run/a\\nb");
  EXPECT_EQ(DescribeTarget(Vsock{4711, 22}), "vsock cid=4711 port=22");
  EXPECT_EQ(DescribeTarget(VsockMux{"/run/fc.sock", 1024}),
            "vsock-mux /run/fc.sock port=1024");
  EXPECT_EQ(DescribeTarget(Machine{"debian", 22}), "machine debian port=22");
  EXPECT_EQ(DescribeTarget(LocalHost{}),
            "local host /run/ssh-unix-local/socket");
  EXPECT_EQ(DescribeTarget(Qemu{QemuScope::kAny, "web", 22}),
            "qemu web (qemu:///system or qemu:///session) port=22");
  EXPECT_EQ(DescribeTarget(Qemu{QemuScope::kSystem, "web", 22}),
            "qemu web (qemu:///system) port=22");
  EXPECT_EQ(DescribeTarget(Qemu{QemuScope::kSession, "1", 2222}),
            "qemu 1 (qemu:///session) port=2222");
  EXPECT_EQ(FormatPort(UnixSocket{"/x"}), "");
  EXPECT_EQ(FormatPort(LocalHost{}), "");
  EXPECT_EQ(FormatPort(Vsock{1, 4294967294u}), "4294967294");
}

TEST(EqualityTest, ComparesEveryField) {
  EXPECT_TRUE(Target(Vsock{1, 2}) == Target(Vsock{1, 2}));
  EXPECT_FALSE(Target(Vsock{1, 2}) == Target(Vsock{1, 3}));
  EXPECT_FALSE(Target(Vsock{1, 2}) == Target(Vsock{2, 2}));
  EXPECT_FALSE(Target(VsockMux{"/a", 2}) == Target(VsockMux{"/a", 3}));
  EXPECT_FALSE(Target(VsockMux{"/a", 2}) == Target(VsockMux{"/b", 2}));
  EXPECT_FALSE(Target(Machine{"a", 2}) == Target(Machine{"a", 3}));
  EXPECT_FALSE(Target(Machine{"a", 2}) == Target(Machine{"b", 2}));
  EXPECT_FALSE(Target(UnixSocket{"/a"}) == Target(UnixSocket{"/b"}));
  EXPECT_FALSE(Target(UnixSocket{"/a"}) == Target(VsockMux{"/a", 0}));
  EXPECT_TRUE(Target(LocalHost{}) == Target(LocalHost{}));
  const Qemu web{QemuScope::kAny, "web", 22};
  EXPECT_TRUE(Target(web) == Target(Qemu{QemuScope::kAny, "web", 22}));
  EXPECT_FALSE(Target(web) == Target(Qemu{QemuScope::kSystem, "web", 22}));
  EXPECT_FALSE(Target(web) == Target(Qemu{QemuScope::kAny, "db", 22}));
  EXPECT_FALSE(Target(web) == Target(Qemu{QemuScope::kAny, "web", 23}));
  EXPECT_FALSE(Target(web) == Target(Machine{"web", 22}));
}

}  // namespace
}  // namespace sshproxy::parser
