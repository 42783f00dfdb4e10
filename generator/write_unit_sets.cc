// Copyright 2026 The ssh-socket-proxy Authors.
//
// write_unit_sets DIR: writes every kind of unit set the generator makes,
// each from a scripted system through Gather, Decide, Render and the real
// WriteUnits, into DIR/NAME/, for verify_test.sh to hand to
// `systemd-analyze verify`. A test helper, never installed.

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "generator/fake_system.h"
#include "generator/generator.h"
#include "generator/system.h"

namespace sshproxy::generator {
namespace {

void Common(FakeSystem& s) {
  s.executables.insert("/usr/sbin/sshd");
  s.files["/proc/net/if_inet6"] = "";
}

const std::vector<std::pair<std::string, std::function<void(FakeSystem&)>>>&
Sets() {
  static const auto* sets = new std::vector<
      std::pair<std::string, std::function<void(FakeSystem&)>>>{
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
         Common(s);
         s.files["/sys/class/dmi/id/sys_vendor"] = "QEMU";
         s.files["/proc/cmdline"] = "ro";
         s.vsock_cid = 4711u;
       }},
  };
  return *sets;
}

}  // namespace
}  // namespace sshproxy::generator

int main(int argc, char** argv) {
  using namespace sshproxy::generator;
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_unit_sets DIR\n");
    return 2;
  }
  PosixSystem real;
  for (const auto& [name, setup] : Sets()) {
    FakeSystem fake;
    setup(fake);
    Plan plan = Decide(Gather(fake));
    absl::Status s =
        WriteUnits(real, std::string(argv[1]) + "/" + name, Render(plan));
    if (!s.ok()) {
      std::fprintf(stderr, "write_unit_sets: %s: %s\n", name.c_str(),
                   std::string(s.message()).c_str());
      return 1;
    }
  }
  return 0;
}
