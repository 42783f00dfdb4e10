// Copyright 2026 The ssh-socket-proxy Authors.
//
// Every decision of the generator, on a scripted system: what it reads
// (generator/fake_system.h), what it decides, what it writes.

#include "generator/generator.h"

#include <linux/vm_sockets.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "generator/fake_system.h"
#include "gtest/gtest.h"

namespace sshproxy::generator {
namespace {

using Setup = std::function<void(FakeSystem&)>;

constexpr char kProvision[] =
    "f^ /root/.ssh/authorized_keys :0600 root :root - "
    "ssh.authorized_keys.root\n";

// A Debian 12 container as systemd-nspawn boots it.
void Container(FakeSystem& s) {
  s.files["/run/systemd/container"] = "systemd-nspawn\n";
  s.files["/proc/1/cmdline"] = std::string("/sbin/init\0", 11);
  s.files["/proc/cmdline"] = "BOOT_IMAGE=/vmlinuz systemd.ssh_listen=/host";
  s.files["/usr/lib/tmpfiles.d/provision.conf"] = kProvision;
  s.files["/proc/net/if_inet6"] = "";
  s.executables.insert("/usr/sbin/sshd");
}

void ContainerArgs(FakeSystem& s, const std::vector<std::string>& args) {
  std::string cmdline("/sbin/init");
  for (const std::string& a : args) absl::StrAppend(&cmdline, std::string(1, '\0'), a);
  s.files["/proc/1/cmdline"] = cmdline;
}

// A Debian 12 VM (QEMU/KVM) with a virtio-vsock device.
void Vm(FakeSystem& s) {
  s.files["/sys/class/dmi/id/sys_vendor"] = "QEMU\n";
  s.files["/proc/cmdline"] = "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro\n";
  s.files["/usr/lib/tmpfiles.d/provision.conf"] = kProvision;
  s.files["/proc/net/if_inet6"] = "";
  s.executables.insert("/usr/sbin/sshd");
  s.vsock_cid = 4711u;
}

void Host(FakeSystem& s) {
  s.files["/proc/cmdline"] = "BOOT_IMAGE=/vmlinuz ro quiet\n";
  s.files["/proc/net/if_inet6"] = "";
  s.executables.insert("/usr/sbin/sshd");
}

struct DecideCase {
  std::string name;
  Setup setup;
  // "unit-suffix=address", in order.
  std::vector<std::string> listeners;
  // Substrings that must appear in the log, in any order.
  std::vector<std::string> messages = {};
  std::string root_key = "";
  int vsock_queries = 0;
};

std::string Describe(const Plan& plan) {
  std::vector<std::string> parts;
  for (const Listener& l : plan.listeners) {
    parts.push_back(absl::StrCat(l.name.substr(kUnitPrefix.size()), "=", l.address));
  }
  return absl::StrJoin(parts, " ");
}

TEST(DecideTest, Table) {
  const std::vector<DecideCase> cases = {
      {"container: the local socket only", Container, {"unix-local=/run/ssh-unix-local/socket"}},
      {"container with a writable unix-export",
       [](FakeSystem& s) {
         Container(s);
         s.writable.insert("/run/host/unix-export/");
       },
       {"unix-local=/run/ssh-unix-local/socket", "unix-export=/run/host/unix-export/ssh"}},
      {"container with a read-only unix-export",
       [](FakeSystem& s) {
         Container(s);
         s.files["/run/host/unix-export/other"] = "";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"container on a VM host: never vsock, never asks /dev/vsock",
       [](FakeSystem& s) {
         Container(s);
         s.files["/sys/class/dmi/id/sys_vendor"] = "QEMU\n";
         s.cpuid_hypervisor = true;
         s.vsock_cid = 3u;
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"container found by PID 1's environment",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/run/systemd/container");
         s.files["/proc/1/environ"] = std::string("PATH=/bin\0container=lxc\0", 25);
         s.writable.insert("/run/host/unix-export/");
         s.vsock_cid = 3u;
         s.cpuid_hypervisor = true;
       },
       {"unix-local=/run/ssh-unix-local/socket", "unix-export=/run/host/unix-export/ssh"}},
      {"container=\"\" in PID 1's environment is no container",
       [](FakeSystem& s) {
         Vm(s);
         s.files["/proc/1/environ"] = std::string("container=\0", 11);
       },
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"},
       {"ssh vsock/4711"},
       "",
       1},
      {"VM with a vsock transport", Vm,
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"},
       {"binding sshd to vsock::22; from the host: ssh vsock/4711"},
       "",
       1},
      {"VM found by CPUID alone",
       [](FakeSystem& s) {
         Vm(s);
         s.files.erase("/sys/class/dmi/id/sys_vendor");
         s.cpuid_hypervisor = true;
       },
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"}, {}, "", 1},
      {"VM found by /sys/hypervisor",
       [](FakeSystem& s) {
         Vm(s);
         s.files.erase("/sys/class/dmi/id/sys_vendor");
         s.files["/sys/hypervisor/type"] = "xen\n";
       },
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"}, {}, "", 1},
      {"VM whose kernel has no guest transport (CID any)",
       [](FakeSystem& s) {
         Vm(s);
         s.vsock_cid = VMADDR_CID_ANY;
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"no AF_VSOCK transport, not listening on vsock::22 (no local CID)"},
       "",
       1},
      {"VM without /dev/vsock",
       [](FakeSystem& s) {
         Vm(s);
         s.vsock_cid = absl::NotFoundError("open /dev/vsock: No such file or directory");
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"no AF_VSOCK transport", "open /dev/vsock: No such file or directory"},
       "",
       1},
      {"Xen dom0 is the host, not a VM",
       [](FakeSystem& s) {
         Host(s);
         s.files["/proc/xen/capabilities"] = "control_d\n";
         s.vsock_cid = 3u;
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"Xen domU is a VM",
       [](FakeSystem& s) {
         Host(s);
         s.files["/proc/xen/capabilities"] = "";
         s.vsock_cid = 3u;
       },
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"}, {}, "", 1},
      {"bare metal: the local socket, /dev/vsock not asked",
       [](FakeSystem& s) {
         Host(s);
         s.vsock_cid = 2u;
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"systemd's own generator: stand down",
       [](FakeSystem& s) {
         Container(s);
         s.executables.insert("/usr/lib/systemd/system-generators/systemd-ssh-generator");
         ContainerArgs(s, {"systemd.ssh_listen=/run/a.sock"});
       },
       {},
       {"systemd's own systemd-ssh-generator is installed: standing down"}},
      {"systemd's own generator, unmerged /lib: stand down",
       [](FakeSystem& s) {
         Vm(s);
         s.executables.insert("/lib/systemd/system-generators/systemd-ssh-generator");
       },
       {}, {"standing down"}},
      {"no sshd: nothing",
       [](FakeSystem& s) {
         Container(s);
         s.executables.clear();
       },
       {}, {"no sshd installed"}},
      {"sshd found on $PATH",
       [](FakeSystem& s) {
         Container(s);
         s.executables = {"/opt/ssh/sbin/sshd"};
         s.env["PATH"] = "relative:/opt/ssh/sbin:/usr/bin";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"systemd.ssh_auto=no: nothing",
       [](FakeSystem& s) {
         Container(s);
         s.writable.insert("/run/host/unix-export/");
         ContainerArgs(s, {"quiet", "systemd.ssh_auto=no"});
       },
       {}, {"turned off by systemd.ssh_auto=no"}},
      {"systemd.ssh_auto=no plus listen: exactly those, sorted",
       [](FakeSystem& s) {
         Container(s);
         s.writable.insert("/run/host/unix-export/");
         ContainerArgs(s, {"systemd.ssh_auto=no", "systemd.ssh_listen=127.0.0.1:2222",
                           "systemd.ssh_listen=/run/a.sock"});
       },
       {"extra=/run/a.sock", "extra-2=127.0.0.1:2222"}},
      {"dashes for underscores, 0 for no",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh-auto=0", "systemd.ssh-listen=vsock:3:2222"});
       },
       {"extra=vsock:3:2222"}},
      {"the last ssh_auto wins; a bare switch is yes",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_auto=off", "systemd.ssh_auto"});
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"a bad ssh_auto is skipped",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_auto=no", "systemd.ssh_auto=maybe"});
       },
       {}, {"ignoring systemd.ssh_auto=maybe: not a boolean"}},
      {"input is logged on one line, escaped",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_auto=no\nfake: line", "systemd.ssh_listen=/run/a\nb"});
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"ignoring systemd.ssh_auto=no\\nfake: line: not a boolean",
        "'/run/a\\nb': control character in address"}},
      {"a malformed listen beside a good one",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_listen=bad:addr", "systemd.ssh_listen=/run/x.sock",
                           "systemd.ssh_listen", "systemd.ssh_listen="});
       },
       {"unix-local=/run/ssh-unix-local/socket", "extra=/run/x.sock"},
       {"ignoring systemd.ssh_listen=: 'bad:addr': bad port",
        "ignoring systemd.ssh_listen: no value",
        "ignoring systemd.ssh_listen=: '': empty address"}},
      {"one address spelled two ways is one socket",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_listen=22", "systemd.ssh_listen=[0::0]:22",
                           "systemd.ssh_listen=22"});
       },
       {"unix-local=/run/ssh-unix-local/socket", "extra=[::]:22"}},
      {"without IPv6 a bare port is IPv4",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/proc/net/if_inet6");
         ContainerArgs(s, {"systemd.ssh_auto=no", "systemd.ssh_listen=2222"});
       },
       {"extra=0.0.0.0:2222"}},
      {"an address bound automatically is not bound twice",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_listen=/run/ssh-unix-local/socket"});
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"ignoring /run/ssh-unix-local/socket: already bound"}},
      {"in a container the host's /proc/cmdline does not count",
       [](FakeSystem& s) {
         Container(s);
         s.files["/proc/cmdline"] = "systemd.ssh_auto=no";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"in a VM /proc/cmdline counts, with quotes",
       [](FakeSystem& s) {
         Vm(s);
         s.files["/proc/cmdline"] =
             "ro systemd.ssh_auto=no \"systemd.ssh_listen=/run/a b.sock\" "
             "systemd.ssh_listen=\"[::1]:2222\"\n";
       },
       {"extra=/run/a b.sock", "extra-2=[::1]:2222"}, {}, "", 1},
      {"ssh.listen credential: comments, blanks and a bad line",
       [](FakeSystem& s) {
         Container(s);
         s.files["/run/credentials/@system/ssh.listen"] =
             "# ours\n\n  /run/cred.sock  \nnot an address\n127.0.0.1:2223\n";
       },
       {"unix-local=/run/ssh-unix-local/socket", "extra=/run/cred.sock",
        "extra-2=127.0.0.1:2223"},
       {"ignoring ssh.listen credential line: 'not an address'"}},
      {"ssh.listen from $CREDENTIALS_DIRECTORY first",
       [](FakeSystem& s) {
         Container(s);
         s.env["CREDENTIALS_DIRECTORY"] = "/run/credentials/gen";
         s.files["/run/credentials/gen/ssh.listen"] = "/run/first.sock";
         s.files["/run/credentials/@system/ssh.listen"] = "/run/second.sock";
       },
       {"unix-local=/run/ssh-unix-local/socket", "extra=/run/first.sock"}},
      {"ssh.listen with ssh_auto=no, and cmdline plus credential merge",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_auto=no", "systemd.ssh_listen=/run/b.sock"});
         s.files["/run/host/credentials/ssh.listen"] = "/run/a.sock\n/run/b.sock\n";
       },
       {"extra=/run/a.sock", "extra-2=/run/b.sock"}},
      {"root key: systemd 252 imports it itself",
       [](FakeSystem& s) {
         Container(s);
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "ssh-ed25519 AAAA k";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"root key: systemd < 252 does not",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/usr/lib/tmpfiles.d/provision.conf");
         s.files["/run/host/credentials/ssh.authorized_keys.root"] = "ssh-ed25519 AAAA k";
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {},
       "/run/host/credentials/ssh.authorized_keys.root"},
      {"root key: an /etc provision.conf without the import wins",
       [](FakeSystem& s) {
         Container(s);
         s.files["/etc/tmpfiles.d/provision.conf"] = "# local\n";
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "ssh-ed25519 AAAA k";
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {},
       "/run/credentials/@system/ssh.authorized_keys.root"},
      {"root key imported even with ssh_auto=no",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/usr/lib/tmpfiles.d/provision.conf");
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "k";
         ContainerArgs(s, {"systemd.ssh_auto=no"});
       },
       {},
       {},
       "/run/credentials/@system/ssh.authorized_keys.root"},
  };
  for (const DecideCase& c : cases) {
    FakeSystem system;
    c.setup(system);
    Plan plan = Decide(Gather(system));
    std::string log = absl::StrJoin(plan.messages, "\n");
    EXPECT_EQ(Describe(plan), absl::StrJoin(c.listeners, " ")) << c.name << "\nlog:\n" << log;
    for (const std::string& m : plan.messages) {
      EXPECT_FALSE(absl::StrContains(m, "\n")) << c.name << ": multi-line message " << m;
    }
    for (const std::string& m : c.messages) {
      EXPECT_TRUE(absl::StrContains(log, m)) << c.name << ": '" << m << "' not in:\n" << log;
    }
    EXPECT_EQ(plan.root_key_credential, c.root_key) << c.name;
    EXPECT_EQ(system.vsock_queries, c.vsock_queries) << c.name;
    if (!plan.listeners.empty()) {
      EXPECT_EQ(plan.sshd, system.executables.count("/opt/ssh/sbin/sshd")
                               ? "/opt/ssh/sbin/sshd"
                               : "/usr/sbin/sshd")
          << c.name;
    }
  }
}

struct AddressCase {
  std::string in;
  std::string want;  // "" means rejected
  bool ipv6 = true;
};

TEST(CanonicalAddressTest, Table) {
  const std::string long_path = "/" + std::string(106, 'p');  // 107 bytes: fits
  const std::vector<AddressCase> cases = {
      {"/run/x.sock", "/run/x.sock"},
      {"@abstract", "@abstract"},
      {long_path, long_path},
      {long_path + "p", ""},
      {"/", ""},
      {"@", ""},
      {"/run/a\nListenStream=/evil", ""},
      {"/run/tab\there", ""},
      {"vsock::22", "vsock::22"},
      {"vsock:3:2222", "vsock:3:2222"},
      {"vsock:4294967294:1", "vsock:4294967294:1"},
      {"vsock:4294967295:22", ""},
      {"vsock:3:4294967295", ""},
      {"vsock:03:22", ""},
      {"vsock:0x3:22", ""},
      {"vsock:22", ""},
      {"vsock:3:", ""},
      {"vsock:-1:22", ""},
      {"127.0.0.1:2222", "127.0.0.1:2222"},
      {"0.0.0.0:22", "0.0.0.0:22"},
      {"127.1:22", ""},
      {"127.0.0.1:0", ""},
      {"127.0.0.1:65536", ""},
      {"127.0.0.1:022", ""},
      {"127.0.0.1:", ""},
      {"[::1]:22", "[::1]:22"},
      {"[0:0:0:0:0:0:0:1]:22", "[::1]:22"},
      {"[::1]", ""},
      {"::1:22", ""},
      {"[zz]:22", ""},
      {"22", "[::]:22"},
      {"65535", "[::]:65535"},
      {"0", ""},
      {"65536", ""},
      {"localhost:22", ""},
      {"bad:addr", ""},
      {"", ""},
      {"22", "0.0.0.0:22", false},
  };
  for (const AddressCase& c : cases) {
    absl::StatusOr<std::string> got = CanonicalAddress(c.in, c.ipv6);
    if (c.want.empty()) {
      EXPECT_FALSE(got.ok()) << "'" << c.in << "' -> " << *got;
      if (!got.ok()) EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    } else {
      EXPECT_TRUE(got.ok()) << "'" << c.in << "': " << got.status();
      if (got.ok()) EXPECT_EQ(*got, c.want) << "'" << c.in << "'";
    }
  }
}

TEST(SplitKernelCmdlineTest, Table) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"  a  b\tc\n", "a|b|c"},
      {"\"a b\" c", "a b|c"},
      {"k=\"v w\" x", "k=v w|x"},
      {"\"\"", ""},
      {"unterminated=\"a b", "unterminated=a b"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(absl::StrJoin(SplitKernelCmdline(in), "|"), want) << "'" << in << "'";
  }
}

Plan TwoSockets() {
  Plan plan;
  plan.sshd = "/usr/sbin/sshd";
  plan.listeners = {{"ssh-socket-proxy-unix-local", "/run/ssh-unix-local/socket", "AF_UNIX Local"},
                    {"ssh-socket-proxy-extra", "/run/100%.sock", "/run/100%.sock"}};
  return plan;
}

TEST(RenderTest, ServiceBeforeSocketBeforeWants) {
  std::vector<std::string> paths;
  for (const UnitFile& f : Render(TwoSockets())) paths.push_back(f.path);
  EXPECT_EQ(absl::StrJoin(paths, " "),
            "ssh-socket-proxy-unix-local@.service ssh-socket-proxy-unix-local.socket "
            "sockets.target.wants/ssh-socket-proxy-unix-local.socket "
            "ssh-socket-proxy-extra@.service ssh-socket-proxy-extra.socket "
            "sockets.target.wants/ssh-socket-proxy-extra.socket");
}

TEST(RenderTest, Contents) {
  std::vector<UnitFile> files = Render(TwoSockets());
  const std::string& service = files[0].content;
  EXPECT_TRUE(absl::StrContains(service, "\nExecStart=-/usr/sbin/sshd -i $SSHD_OPTS\n")) << service;
  EXPECT_TRUE(absl::StrContains(service, "\nStandardInput=socket\n")) << service;
  EXPECT_TRUE(absl::StrContains(service, "\nRuntimeDirectory=sshd\n")) << service;
  const std::string& socket = files[1].content;
  EXPECT_TRUE(absl::StrContains(socket, "\nListenStream=/run/ssh-unix-local/socket\nAccept=yes\n"))
      << socket;
  EXPECT_EQ(files[2].symlink_target, "../ssh-socket-proxy-unix-local.socket");
  // systemd would expand %-specifiers: a literal % is written %%.
  EXPECT_TRUE(absl::StrContains(files[4].content, "\nListenStream=/run/100%%.sock\n"))
      << files[4].content;
}

TEST(RenderTest, ReusesAnInstalledSshdTemplate) {
  Plan plan = TwoSockets();
  plan.sshd_template = "/usr/lib/systemd/system/sshd@.service";
  std::vector<UnitFile> files = Render(plan);
  EXPECT_EQ(files[0].content, "");
  EXPECT_EQ(files[0].symlink_target, "/usr/lib/systemd/system/sshd@.service");
}

TEST(RenderTest, RootKeyUnit) {
  Plan plan;
  plan.root_key_credential = "/run/host/credentials/ssh.authorized_keys.root";
  std::vector<UnitFile> files = Render(plan);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "ssh-socket-proxy-root-key.service");
  EXPECT_TRUE(absl::StrContains(files[0].content,
                                "ExecStart=/usr/bin/install -D -m 0600 "
                                "/run/host/credentials/ssh.authorized_keys.root "
                                "/root/.ssh/authorized_keys\n"))
      << files[0].content;
  EXPECT_TRUE(absl::StrContains(files[0].content,
                                "ConditionPathExists=!/root/.ssh/authorized_keys\n"));
  EXPECT_EQ(files[1].path, "multi-user.target.wants/ssh-socket-proxy-root-key.service");
}

TEST(RenderTest, NothingToDoWritesNothing) {
  FakeSystem system;
  Container(system);
  ContainerArgs(system, {"systemd.ssh_auto=no"});
  EXPECT_TRUE(Render(Decide(Gather(system))).empty());
}

TEST(WriteUnitsTest, WritesEveryFile) {
  FakeSystem system;
  ASSERT_TRUE(WriteUnits(system, "/out", Render(TwoSockets())).ok());
  EXPECT_EQ(system.written.size(), 6u);
  EXPECT_EQ(system.written["/out/sockets.target.wants/ssh-socket-proxy-extra.socket"],
            "-> ../ssh-socket-proxy-extra.socket");
}

// A failed write stops there: no socket is ever wanted whose service or
// socket file is missing.
TEST(WriteUnitsTest, StopsAtTheFirstError) {
  for (int fail = 1; fail <= 6; ++fail) {
    FakeSystem system;
    system.fail_write_number = fail;
    absl::Status s = WriteUnits(system, "/out", Render(TwoSockets()));
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << fail;
    EXPECT_EQ(system.written.size(), static_cast<size_t>(fail - 1)) << fail;
    for (const auto& [path, content] : system.written) {
      if (!absl::StrContains(path, "sockets.target.wants/")) continue;
      std::string socket = path.substr(path.rfind('/') + 1);
      EXPECT_TRUE(system.written.count("/out/" + socket)) << fail << " " << path;
    }
  }
}

}  // namespace
}  // namespace sshproxy::generator
