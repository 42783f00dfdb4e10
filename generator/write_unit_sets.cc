// Copyright 2026 The ssh-socket-proxy Authors.
//
// write_unit_sets DIR SELF [FUZZ-INPUT...]: writes every kind of unit set
// the generator makes, each from a scripted system through Gather, Decide,
// Render and the real WriteUnits, into DIR/NAME/, for verify_test.sh to
// hand to `systemd-analyze verify`: the kinds (container, VM, the re-check,
// systemd 257's vsock cover), a table of hostile inputs, and one set per
// FUZZ-INPUT file (the generator_input corpus). SELF is the generator's
// path, written into the units that run it again. A test helper, never
// installed.

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "generator/fake_system.h"
#include "generator/fuzz_input.h"
#include "generator/generator.h"
#include "generator/system.h"

namespace sshproxy::generator {
namespace {

using Setup = std::function<void(FakeSystem&)>;

void Common(FakeSystem& s) {
  s.executables.insert("/usr/sbin/sshd");
  s.files["/proc/net/if_inet6"] = "";
}

void Qemu(FakeSystem& s, const char* cmdline) {
  Common(s);
  s.files["/sys/class/dmi/id/sys_vendor"] = "QEMU";
  s.files["/proc/cmdline"] = cmdline;
  s.vsock_cid = 4711u;
}

void Virtio(FakeSystem& s) {
  s.symlinks["/sys/bus/virtio/drivers/vmw_vsock_virtio_transport/virtio1"] = "x";
}

// Values that a naive writer would turn into other settings, other lines
// or %-specifiers, as a kernel command line (unquoted as systemd does).
constexpr char kHostileCmdline[] =
    "systemd.ssh_auto=no systemd.ssh_listen=/run/x\\ "
    "systemd.ssh_listen=/run/y\\\\\\ systemd.ssh_listen=/run/100%.sock "
    "\"systemd.ssh_listen=/run/a b.sock\" systemd.ssh_listen=\"/run/it's.sock\" "
    "'systemd.ssh_listen=/run/say \"hi\".sock' systemd.ssh_listen=@abs\\ "
    "systemd.ssh_listen=/run/\xc3\xa9.sock systemd.ssh_listen=/var/run//z/./s/ "
    "systemd.ssh_listen=/run/%n%i%% systemd.ssh_listen=/run/$USER;x "
    "systemd.ssh_listen=/run/[x]*?{}";

std::vector<std::pair<std::string, Setup>> Sets() {
  return {
      {"container",
       [](FakeSystem& s) {
         Common(s);
         s.files["/run/systemd/container"] = "systemd-nspawn";
         s.writable.insert("/run/host/unix-export/");
         static constexpr char kCmdline[] =
             "/sbin/init\0systemd.ssh_listen=127.0.0.1:2222\0"
             "systemd.ssh_listen=[::1]:2223\0systemd.ssh_listen=2224\0"
             "systemd.ssh_listen=@abstract\0systemd.ssh_listen=/run/100%.sock";
         s.files["/proc/1/cmdline"] = std::string(kCmdline, sizeof(kCmdline) - 1);
         s.files["/run/credentials/@system/ssh.listen"] = "vsock:3:2225\n";
         // systemd < 252: no provision.conf, so the key import unit.
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "k";
       }},
      {"vm",
       [](FakeSystem& s) {
         Qemu(s, "ro");
         Virtio(s);
       }},
      {"vm-recheck", [](FakeSystem& s) { Qemu(s, "ro"); }},
      {"vm-257-cover",
       [](FakeSystem& s) {
         Qemu(s, "ro");
         Virtio(s);
         s.executables.insert("/usr/lib/systemd/system-generators/systemd-ssh-generator");
       }},
      {"hostile",
       [](FakeSystem& s) {
         Qemu(s, kHostileCmdline);
         s.executables = {"/opt/my ssh/100%/sshd"};
         s.env["PATH"] = "/opt/my ssh/100%";
         s.env["CREDENTIALS_DIRECTORY"] = "/run/cred's \"dir\" 100%$x\\";
         s.files["/run/cred's \"dir\" 100%$x\\/ssh.authorized_keys.root"] = "k";
       }},
  };
}

int WriteSet(PosixSystem& real, const std::string& dir, FakeSystem& fake) {
  absl::Status s = WriteUnits(real, dir, Render(Decide(Gather(fake))));
  if (!s.ok()) {
    std::fprintf(stderr, "write_unit_sets: %s: %s\n", dir.c_str(),
                 std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sshproxy::generator

int main(int argc, char** argv) {
  using namespace sshproxy::generator;
  if (argc < 3) {
    std::fprintf(stderr, "usage: write_unit_sets DIR SELF [FUZZ-INPUT...]\n");
    return 2;
  }
  const std::string dir = argv[1], self = argv[2];
  PosixSystem real;
  for (const auto& [name, setup] : Sets()) {
    FakeSystem fake;
    setup(fake);
    fake.symlinks["/proc/self/exe"] = self;
    if (WriteSet(real, dir + "/" + name, fake) != 0) return 1;
  }
  for (int i = 3; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::stringstream data;
    data << in.rdbuf();
    if (data.str().empty()) continue;
    std::string name = argv[i];
    name = "fuzz-" + name.substr(name.rfind('/') + 1);
    FakeSystem fake = ScriptedSystem(ParseFuzzInput(data.str()), self);
    if (WriteSet(real, dir + "/" + name, fake) != 0) return 1;
  }
  return 0;
}
