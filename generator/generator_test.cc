// Copyright 2026 The ssh-socket-proxy Authors.
//
// Every decision of the generator, on a scripted system: what it reads
// (generator/fake_system.h), what it decides, what it writes.

#include "generator/generator.h"

#include <linux/vm_sockets.h>

#include <functional>
#include <tuple>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
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

constexpr char kVirtioDriver[] = "/sys/bus/virtio/drivers/vmw_vsock_virtio_transport";

// A Debian 12 VM (QEMU/KVM) without a vsock device.
void VmNoVsock(FakeSystem& s) {
  s.files["/sys/class/dmi/id/sys_vendor"] = "QEMU\n";
  s.files["/proc/cmdline"] = "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro\n";
  s.files["/usr/lib/tmpfiles.d/provision.conf"] = kProvision;
  s.files["/proc/net/if_inet6"] = "";
  s.executables.insert("/usr/sbin/sshd");
  s.symlinks["/proc/self/exe"] = "/usr/lib/systemd/system-generators/ssh-socket-proxy-generator";
}

// ... with a virtio-vsock device bound to its driver.
void Vm(FakeSystem& s) {
  VmNoVsock(s);
  s.symlinks[absl::StrCat(kVirtioDriver, "/virtio3")] = "../../../../devices/pci0000:00/virtio3";
  s.vsock_cid = 4711u;
}

// systemd 257 (Debian 13): its own generator and provision.conf.
void Systemd257(FakeSystem& s) {
  s.executables.insert("/usr/lib/systemd/system-generators/systemd-ssh-generator");
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

std::string Log(const Plan& plan) {
  std::vector<std::string> lines;
  for (const Message& m : plan.messages) lines.push_back(m.text);
  return absl::StrJoin(lines, "\n");
}

std::string Describe(const Plan& plan) {
  std::vector<std::string> parts;
  for (const Listener& l : plan.listeners) {
    parts.push_back(absl::StrCat(l.name.substr(kUnitPrefix.size()), "=", l.address));
  }
  return absl::StrJoin(parts, " ");
}

void Check(const std::vector<DecideCase>& cases) {
  for (const DecideCase& c : cases) {
    FakeSystem system;
    c.setup(system);
    Plan plan = Decide(Gather(system));
    std::string log = Log(plan);
    EXPECT_EQ(Describe(plan), absl::StrJoin(c.listeners, " ")) << c.name << "\nlog:\n" << log;
    for (const Message& m : plan.messages) {
      EXPECT_FALSE(absl::StrContains(m.text, "\n")) << c.name << ": multi-line message " << m.text;
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
       {"ssh vsock%4711"},
       "",
       1},
      {"VM with a vsock transport", Vm,
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"},
       {"binding sshd to vsock::22 (virtio-vsock); from the host: ssh vsock%4711"},
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
      {"VM without /dev/vsock",
       VmNoVsock,
       {"unix-local=/run/ssh-unix-local/socket"},
       {"not listening on vsock::22: no guest-to-host vsock transport"},
       "",
       1},
      {"Xen dom0 is the host, not a VM",
       [](FakeSystem& s) {
         Host(s);
         s.files["/proc/xen/capabilities"] = "control_d\n";
         s.vsock_cid = 3u;
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"Xen domU is a VM (asked for vsock)",
       [](FakeSystem& s) {
         Host(s);
         s.files["/proc/xen/capabilities"] = "";
         s.vsock_cid = 3u;
       },
       {"unix-local=/run/ssh-unix-local/socket"}, {"no guest-to-host vsock transport"}, "", 1},
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
      {"systemd's own generator, unmerged /lib: stand down but for vsock",
       [](FakeSystem& s) {
         Vm(s);
         s.executables.insert("/lib/systemd/system-generators/systemd-ssh-generator");
       },
       {"vsock=vsock::22"}, {"standing down but for vsock::22"}, "", 1},
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
       {"ignoring systemd.ssh_auto=no\\x0afake: line: not a boolean",
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
      {"root key: an /etc provision.conf without the import: the admin said no",
       [](FakeSystem& s) {
         Container(s);
         s.files["/etc/tmpfiles.d/provision.conf"] = "# local\n";
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "ssh-ed25519 AAAA k";
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"not importing ssh.authorized_keys.root"}},
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
  Check(cases);
}

// Issue 16, items 1 and 2: the admin's word on sshd and on provisioning.
TEST(DecideTest, AdminSwitchesHold) {
  const std::string not_to_be_run = "/etc/ssh/sshd_not_to_be_run";
  const std::vector<DecideCase> cases = {
      {"sshd_not_to_be_run: no socket at all, extras neither",
       [&](FakeSystem& s) {
         Container(s);
         s.writable.insert("/run/host/unix-export/");
         s.files[not_to_be_run] = "";
         ContainerArgs(s, {"systemd.ssh_listen=/run/a.sock"});
       },
       {},
       {"/etc/ssh/sshd_not_to_be_run exists: no sshd sockets"}},
      {"sshd_not_to_be_run in a VM: no vsock listener",
       [&](FakeSystem& s) {
         Vm(s);
         s.files[not_to_be_run] = "";
       },
       {}, {"sshd_not_to_be_run"}, "", 1},
      {"sshd_not_to_be_run with systemd 257: no vsock cover either",
       [&](FakeSystem& s) {
         Vm(s);
         Systemd257(s);
         s.files[not_to_be_run] = "";
       },
       {}, {"sshd_not_to_be_run"}, "", 1},
      {"a host with sshd off: no /run/ssh-unix-local/socket",
       [&](FakeSystem& s) {
         Host(s);
         s.files[not_to_be_run] = "";
       },
       {}},
      {"masked ssh.service: sshd is off",
       [](FakeSystem& s) {
         Host(s);
         s.symlinks["/etc/systemd/system/ssh.service"] = "/dev/null";
       },
       {}, {"ssh.service is masked: no sshd sockets"}},
      {"masked sshd.service alias, masked in /run: sshd is off",
       [](FakeSystem& s) {
         Container(s);
         s.symlinks["/run/systemd/system/sshd.service"] = "/dev/null";
       },
       {}, {"ssh.service is masked"}},
      {"masked ssh.service with ssh.socket enabled in its place: sshd is on",
       [](FakeSystem& s) {
         Host(s);
         s.symlinks["/etc/systemd/system/ssh.service"] = "/dev/null";
         s.symlinks["/etc/systemd/system/sockets.target.wants/ssh.socket"] =
             "/lib/systemd/system/ssh.socket";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"ssh.service overridden (not masked): sshd is on",
       [](FakeSystem& s) {
         Host(s);
         s.files["/etc/systemd/system/ssh.service"] = "[Service]\n";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"systemd-ssh-generator masked: the admin turned ssh sockets off",
       [](FakeSystem& s) {
         Vm(s);
         Systemd257(s);
         s.symlinks["/etc/systemd/system-generators/systemd-ssh-generator"] = "/dev/null";
       },
       {}, {"systemd-ssh-generator is masked: no sshd sockets"}, "", 1},
      {"root key: /etc provision.conf masked to /dev/null: not imported",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/usr/lib/tmpfiles.d/provision.conf");
         s.symlinks["/etc/tmpfiles.d/provision.conf"] = "/dev/null";
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "k";
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"not importing ssh.authorized_keys.root"}},
      {"root key: /etc provision.conf on a systemd without one: not imported",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/usr/lib/tmpfiles.d/provision.conf");
         s.files["/etc/tmpfiles.d/provision.conf"] = kProvision;
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "k";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"root key: /run/tmpfiles.d overrides too",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/usr/lib/tmpfiles.d/provision.conf");
         s.files["/run/tmpfiles.d/provision.conf"] = "";
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "k";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"root key: the packaged provision.conf edited (no line): not imported",
       [](FakeSystem& s) {
         Container(s);
         s.files["/usr/lib/tmpfiles.d/provision.conf"] = "# no keys\n";
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "k";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"root key: unmerged /lib provision.conf is systemd's own",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/usr/lib/tmpfiles.d/provision.conf");
         s.files["/lib/tmpfiles.d/provision.conf"] = kProvision;
         s.files["/run/credentials/@system/ssh.authorized_keys.root"] = "k";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"root key: a FIFO credential is refused, never read",
       [](FakeSystem& s) {
         Container(s);
         s.files.erase("/usr/lib/tmpfiles.d/provision.conf");
         s.specials.insert("/run/credentials/@system/ssh.authorized_keys.root");
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"ignoring credential '/run/credentials/@system/ssh.authorized_keys.root': not a "
        "regular file"}},
      {"ssh.listen that is a FIFO is refused; the next directory's is read",
       [](FakeSystem& s) {
         Container(s);
         s.specials.insert("/run/credentials/@system/ssh.listen");
         s.files["/run/host/credentials/ssh.listen"] = "/run/next.sock\n";
       },
       {"unix-local=/run/ssh-unix-local/socket", "extra=/run/next.sock"},
       {"ignoring credential '/run/credentials/@system/ssh.listen': not a regular file"}},
  };
  Check(cases);
}

// Issue 16, items 3 and 4: the command line as systemd reads it, whole.
TEST(DecideTest, CommandLineAsSystemdReadsIt) {
  const std::vector<DecideCase> cases = {
      {"VM: systemd.ssh_auto='no' is no",
       [](FakeSystem& s) {
         Vm(s);
         s.files["/proc/cmdline"] = "ro systemd.ssh_auto='no' quiet\n";
       },
       {}, {"turned off by systemd.ssh_auto=no"}, "", 1},
      {"VM: a quoted whole word, and quotes inside a value",
       [](FakeSystem& s) {
         Vm(s);
         s.files["/proc/cmdline"] =
             "'systemd.ssh_auto=no' systemd.ssh_listen=\"/run/it's.sock\" "
             "systemd.ssh_listen='/run/say \"hi\".sock'\n";
       },
       {"extra=/run/it's.sock", "extra-2=/run/say \"hi\".sock"}, {}, "", 1},
      {"VM: a backslash is an ordinary character",
       [](FakeSystem& s) {
         Vm(s);
         s.files["/proc/cmdline"] = "systemd.ssh_auto=\\\"no\\\"\n";
       },
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"},
       {"ignoring systemd.ssh_auto=\\\\no\\\\: not a boolean"}, "", 1},
      {"container: PID 1's arguments are not unquoted (as systemd 257)",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_auto='no'"});
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"ignoring systemd.ssh_auto='no': not a boolean"}},
      {"container: PID 1's own options are not switches; after -- all are",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"--log-level=debug", "-systemd.ssh_auto=no", "--",
                           "systemd.ssh_auto=no"});
       },
       {}, {"turned off by systemd.ssh_auto=no"}},
      {"an unreadable command line: nothing binds (fail closed)",
       [](FakeSystem& s) {
         Vm(s);
         s.files.erase("/proc/cmdline");
         s.specials.insert("/proc/cmdline");
       },
       {}, {"cannot read the kernel command line"}, "", 1},
  };
  Check(cases);
}

// Issue 18: "the command line could not be read" is a fact of its own, not
// an error text that happens to be non-empty: an error without a message
// still binds nothing. (Reading a long command line whole is PosixSystem's
// job: system_test ReadFileReadsLongFilesWhole.)
TEST(DecideTest, UnreadableCommandLineIsAFactNotAText) {
  FakeSystem system;
  Vm(system);
  Facts facts = Gather(system);
  ASSERT_FALSE(facts.cmdline_error) << *facts.cmdline_error;
  ASSERT_FALSE(Decide(facts).listeners.empty());
  facts.cmdline_error = "";
  Plan plan = Decide(facts);
  EXPECT_TRUE(plan.listeners.empty()) << Describe(plan);
  EXPECT_TRUE(absl::StrContains(Log(plan), "cannot read the kernel command line"))
      << Log(plan);
}

// The sshd path and the credential directory go into units (ExecStart=,
// ConditionFileNotEmpty=): one that a unit cannot hold is not taken.
TEST(GatherTest, PathsAUnitCannotHoldAreNotTaken) {
  for (const std::string& bad : {std::string("/opt/a\nExecStartPre=/evil"), std::string("/opt/\xff"),
                                 std::string("/opt/tab\there"), std::string("relative"),
                                 std::string("/run/.."), std::string("/opt/./x")}) {
    FakeSystem system;
    Vm(system);
    system.env["PATH"] = bad + ":/usr/sbin";
    system.executables.insert(bad + "/sshd");
    system.env["CREDENTIALS_DIRECTORY"] = bad;
    system.files[bad + "/ssh.authorized_keys.root"] = "k";
    Facts facts = Gather(system);
    EXPECT_EQ(facts.sshd, "/usr/sbin/sshd") << absl::CEscape(bad);
    EXPECT_EQ(facts.root_key_credential, "") << absl::CEscape(bad);
  }
  // systemd refuses to run an executable whose name holds a quote or a
  // backslash; such an sshd cannot serve a socket.
  for (const std::string& bad : {"/opt/it's", "/opt/say \"hi\"", "/opt/back\\slash"}) {
    FakeSystem system;
    Vm(system);
    system.env["PATH"] = bad + ":/usr/sbin";
    system.executables.insert(bad + "/sshd");
    EXPECT_EQ(Gather(system).sshd, "/usr/sbin/sshd") << bad;
  }
  // Quotes, spaces, '%' and UTF-8 are kept; repeated and trailing slashes
  // are dropped, as a unit wants the path.
  struct DirCase {
    std::string path_env, sshd_file, creds_env, key_file;
  };
  for (const DirCase& c : std::vector<DirCase>{
           {"/opt/my ssh/\xc3\xa9", "/opt/my ssh/\xc3\xa9/sshd", "/run/cred's 100%",
            "/run/cred's 100%/ssh.authorized_keys.root"},
           {"//opt//ssh/", "/opt/ssh/sshd", "/run//creds/",
            "/run/creds/ssh.authorized_keys.root"}}) {
    FakeSystem system;
    Vm(system);
    system.env["PATH"] = c.path_env;
    system.executables.insert(c.sshd_file);
    system.env["CREDENTIALS_DIRECTORY"] = c.creds_env;
    system.files[c.key_file] = "k";
    Facts facts = Gather(system);
    EXPECT_EQ(facts.sshd, c.sshd_file) << c.path_env;
    EXPECT_EQ(facts.root_key_credential, c.key_file) << c.creds_env;
  }
}

// Issue 16, item 6: one socket per path, and only below /run.
TEST(DecideTest, OneSocketPerPath) {
  const std::vector<DecideCase> cases = {
      {"/var/run and // spell the automatic socket",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_listen=/var/run/ssh-unix-local/socket",
                           "systemd.ssh_listen=/run//ssh-unix-local/./socket/",
                           "systemd.ssh_listen=/run/x.sock", "systemd.ssh_listen=/run/./x.sock"});
       },
       {"unix-local=/run/ssh-unix-local/socket", "extra=/run/x.sock"},
       {"ignoring /run/ssh-unix-local/socket: already bound"}},
      {"paths outside /run are refused: systemd would delete what is there",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_auto=no", "systemd.ssh_listen=/etc/shadow",
                           "systemd.ssh_listen=/run/../etc/shadow", "systemd.ssh_listen=/tmp/s"});
       },
       {},
       {"ignoring systemd.ssh_listen=: '/etc/shadow': AF_UNIX paths must be below /run/",
        "'/run/../etc/shadow': '..' in an AF_UNIX path", "'/tmp/s': AF_UNIX paths must be"}},
      {"other programs' places below /run are refused, one line each",
       [](FakeSystem& s) {
         Container(s);
         ContainerArgs(s, {"systemd.ssh_listen=/run/dbus/system_bus_socket",
                           "systemd.ssh_listen=/var/run/systemd/journal/socket",
                           "systemd.ssh_listen=/run/user/1000/bus", "systemd.ssh_listen=/run/x.sock"});
       },
       {"unix-local=/run/ssh-unix-local/socket", "extra=/run/x.sock"},
       {"ignoring systemd.ssh_listen=: '/run/dbus/system_bus_socket': /run/dbus belongs to the "
        "system (systemd would remove what is there)",
        "'/var/run/systemd/journal/socket': /run/systemd belongs to the system",
        "'/run/user/1000/bus': /run/user belongs to the system"}},
      {"the export path given explicitly: a VM binds it, a container has it already",
       [](FakeSystem& s) {
         Container(s);
         s.writable.insert("/run/host/unix-export/");
         ContainerArgs(s, {"systemd.ssh_listen=/run/host/unix-export/ssh"});
       },
       {"unix-local=/run/ssh-unix-local/socket", "unix-export=/run/host/unix-export/ssh"},
       {"ignoring /run/host/unix-export/ssh: already bound"}},
      {"the export path in a VM is an extra socket",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.files["/proc/cmdline"] = "systemd.ssh_listen=/run/host/unix-export/ssh\n";
       },
       {"unix-local=/run/ssh-unix-local/socket", "extra=/run/host/unix-export/ssh"}, {}, "", 1},
  };
  Check(cases);
}

// Issue 15, item 2: vsock from what the kernel offers, never from the CID.
TEST(DecideTest, VsockFromTheTransport) {
  const std::vector<DecideCase> cases = {
      {"virtio-vsock bound: vsock::22, the CID in the log", Vm,
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"},
       {"binding sshd to vsock::22 (virtio-vsock); from the host: ssh vsock%4711"}, "", 1},
      {"the VMCI driver loaded but no device bound: no vsock",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.files["/sys/bus/pci/drivers/vmw_vmci/uevent"] = "DRIVER=vmw_vmci\n";
         s.files["/sys/bus/pci/drivers/vmw_vmci/new_id"] = "";
       },
       {"unix-local=/run/ssh-unix-local/socket"}, {"no guest-to-host vsock transport"}, "", 1},
      {"the virtio driver loaded but no device bound: no vsock",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.files[absl::StrCat(kVirtioDriver, "/uevent")] = "DRIVER=vmw_vsock_virtio_transport\n";
         s.vsock_cid = 3u;
       },
       {"unix-local=/run/ssh-unix-local/socket"}, {"no guest-to-host vsock transport"}, "", 1},
      {"only vsock_loopback (CID 1): no vsock",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.vsock_cid = VMADDR_CID_LOCAL;
       },
       {"unix-local=/run/ssh-unix-local/socket"},
       {"not listening on vsock::22: no guest-to-host vsock transport (virtio-vsock, hv_sock, "
        "VMCI); looking again when one appears"},
       "", 1},
      {"vhost_vsock loaded in the guest (CID 2): no vsock",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.vsock_cid = VMADDR_CID_HOST;
       },
       {"unix-local=/run/ssh-unix-local/socket"}, {"no guest-to-host vsock transport"}, "", 1},
      {"Hyper-V: hv_sock registered, CID VMADDR_CID_ANY: vsock, no CID to show",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.files["/sys/class/dmi/id/sys_vendor"] = "Microsoft Corporation\n";
         s.cpuid_hypervisor = true;
         s.files["/sys/bus/vmbus/drivers/hv_sock/uevent"] = "DRIVER=hv_sock\n";
         s.vsock_cid = VMADDR_CID_ANY;
       },
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"},
       {"binding sshd to vsock::22 (hv_sock); this VM's CID is not known here"}, "", 1},
      {"Hyper-V reporting CID 1: vsock all the same",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.cpuid_hypervisor = true;
         s.files["/sys/bus/vmbus/drivers/hv_sock/uevent"] = "";
         s.vsock_cid = VMADDR_CID_LOCAL;
       },
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"}, {"(hv_sock)"}, "", 1},
      {"VMware: a VMCI guest device bound",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.files["/sys/class/dmi/id/sys_vendor"] = "VMware, Inc.\n";
         s.files["/sys/bus/pci/drivers/vmw_vmci/uevent"] = "DRIVER=vmw_vmci\n";
         s.symlinks["/sys/bus/pci/drivers/vmw_vmci/0001:00:07.7"] = "../../../devices/x";
         s.vsock_cid = 17u;
       },
       {"vsock=vsock::22", "unix-local=/run/ssh-unix-local/socket"},
       {"(VMCI); from the host: ssh vsock%17"}, "", 1},
      {"a container never binds vsock, whatever sysfs shows",
       [](FakeSystem& s) {
         Container(s);
         s.symlinks[absl::StrCat(kVirtioDriver, "/virtio3")] = "x";
       },
       {"unix-local=/run/ssh-unix-local/socket"}},
      {"systemd 257 with a transport: ours binds vsock alone",
       [](FakeSystem& s) {
         Vm(s);
         Systemd257(s);
         s.files["/proc/cmdline"] = "ro systemd.ssh_listen=/run/theirs.sock";
       },
       {"vsock=vsock::22"}, {"standing down but for vsock::22"}, "", 1},
      {"systemd 257 without a transport: nothing, the re-check armed",
       [](FakeSystem& s) {
         VmNoVsock(s);
         Systemd257(s);
       },
       {}, {"looking again when one appears"}, "", 1},
      {"systemd 257 with systemd.ssh_auto=no: nothing of ours",
       [](FakeSystem& s) {
         Vm(s);
         Systemd257(s);
         s.files["/proc/cmdline"] = "systemd.ssh_auto=no";
       },
       {}, {}, "", 1},
  };
  Check(cases);
}

TEST(DecideTest, VsockCoverNeverDoublesSystemdsOwnSocket) {
  FakeSystem system;
  Vm(system);
  Systemd257(system);
  Plan plan = Decide(Gather(system));
  ASSERT_EQ(plan.listeners.size(), 1u);
  EXPECT_EQ(plan.listeners[0].unless_path, "/run/systemd/generator/sshd-vsock.socket");
  std::string socket;
  for (const UnitFile& f : Render(plan)) {
    if (f.path == "ssh-socket-proxy-vsock.socket") socket = f.content;
  }
  EXPECT_TRUE(absl::StrContains(
      socket, "\nConditionPathExists=!/run/systemd/generator/sshd-vsock.socket\n"))
      << socket;
}

TEST(DecideTest, ReCheckArmedOnlyWhereVsockIsLeftUnbound) {
  struct Case {
    std::string name;
    std::function<void(FakeSystem&)> setup;
    bool armed;
  };
  const std::vector<Case> cases = {
      {"VM without a transport", VmNoVsock, true},
      {"VM with one", Vm, false},
      {"VM without, systemd.ssh_auto=no",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.files["/proc/cmdline"] = "systemd.ssh_auto=no systemd.ssh_listen=/run/a.sock";
       },
       false},
      {"VM without, an extra on vsock port 22 already",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.files["/proc/cmdline"] = "systemd.ssh_listen=vsock::22";
       },
       false},
      {"VM without, systemd 257, its extra on vsock:3:22",
       [](FakeSystem& s) {
         VmNoVsock(s);
         Systemd257(s);
         s.files["/proc/cmdline"] = "systemd.ssh_listen=vsock:3:22";
       },
       false},
      {"VM without, systemd 257", [](FakeSystem& s) { VmNoVsock(s); Systemd257(s); }, true},
      {"container", Container, false},
      {"bare metal", Host, false},
      {"VM without, sshd off",
       [](FakeSystem& s) {
         VmNoVsock(s);
         s.files["/etc/ssh/sshd_not_to_be_run"] = "";
       },
       false},
  };
  for (const Case& c : cases) {
    FakeSystem system;
    c.setup(system);
    Plan plan = Decide(Gather(system));
    EXPECT_EQ(plan.vsock_recheck, c.armed) << c.name;
    bool written = false;
    for (const UnitFile& f : Render(plan)) {
      written |= f.path == "ssh-socket-proxy-vsock-recheck.service";
    }
    EXPECT_EQ(written, c.armed) << c.name;
  }
}

// Issue 15, item 3: a transport that appears after the generators ran.
TEST(RecheckVsockTest, BindsWhenATransportAppears) {
  FakeSystem system;
  VmNoVsock(system);
  std::vector<Message> log;
  EXPECT_FALSE(RecheckVsock(system, "/run/systemd/generator", log));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].text,
            "vsock re-check: still no guest-to-host vsock transport; not listening on vsock::22");
  EXPECT_EQ(system.written.size(), 1u);  // the conclusion, kept in /run

  // The next event of the same module load: the same conclusion, not told
  // again.
  log.clear();
  EXPECT_FALSE(RecheckVsock(system, "/run/systemd/generator", log));
  EXPECT_TRUE(log.empty()) << log[0].text;
  system.written.clear();

  // The driver binds the device (udev's "bind" event starts the re-check).
  system.symlinks[absl::StrCat(kVirtioDriver, "/virtio3")] = "x";
  system.vsock_cid = 5u;
  log.clear();
  EXPECT_TRUE(RecheckVsock(system, "/run/systemd/generator", log));
  EXPECT_EQ(log.at(0).text, "vsock re-check: a vsock transport appeared; binding sshd to vsock::22");
  std::vector<std::string> paths;
  for (const auto& [path, unused] : system.written) paths.push_back(path);
  EXPECT_EQ(absl::StrJoin(paths, " "),
            "/run/ssh-socket-proxy/vsock-recheck "
            "/run/systemd/generator/sockets.target.wants/ssh-socket-proxy-vsock.socket "
            "/run/systemd/generator/ssh-socket-proxy-vsock-issue.service "
            "/run/systemd/generator/ssh-socket-proxy-vsock.socket "
            "/run/systemd/generator/ssh-socket-proxy-vsock@.service");

  // Once bound, a further event changes nothing.
  log.clear();
  EXPECT_FALSE(RecheckVsock(system, "/run/systemd/generator", log));
  EXPECT_EQ(log.at(0).text, "vsock re-check: vsock::22 is bound already");
}

// An extra socket took vsock::22 at boot: a transport appearing later must
// not make a second socket on that port (one of them would fail).
TEST(RecheckVsockTest, NeverASecondSocketOnVsockPort22) {
  FakeSystem system;
  VmNoVsock(system);
  system.files["/proc/cmdline"] = "systemd.ssh_listen=vsock::22";
  system.symlinks[absl::StrCat(kVirtioDriver, "/virtio3")] = "x";
  std::vector<Message> log;
  EXPECT_FALSE(RecheckVsock(system, "/out", log));
  EXPECT_EQ(system.written.count("/out/ssh-socket-proxy-vsock.socket"), 0u);
  EXPECT_TRUE(absl::StrContains(log.at(0).text, "not ours to bind")) << log.at(0).text;
}

TEST(RecheckVsockTest, NothingWhereTheDecisionIsNotOurs) {
  FakeSystem system;
  Vm(system);
  system.files["/proc/cmdline"] = "systemd.ssh_auto=no";
  std::vector<Message> log;
  EXPECT_FALSE(RecheckVsock(system, "/out", log));
  EXPECT_EQ(system.written.count("/out/ssh-socket-proxy-vsock.socket"), 0u);
  EXPECT_TRUE(absl::StrContains(log.at(0).text, "not ours to bind"));
}

// Issue 15, item 7: the console hint, only for a CID that names this VM.
TEST(IssueTest, HintOnlyForARealCid) {
  EXPECT_EQ(IssueText(4711u).value_or("none"), "ssh vsock%4711");
  EXPECT_EQ(IssueText(3u).value_or("none"), "ssh vsock%3");
  for (std::optional<uint32_t> cid : {std::optional<uint32_t>(), std::optional<uint32_t>(0u),
                                      std::optional<uint32_t>(1u), std::optional<uint32_t>(2u),
                                      std::optional<uint32_t>(VMADDR_CID_ANY)}) {
    EXPECT_FALSE(IssueText(cid).has_value()) << cid.value_or(12345);
  }
  FakeSystem system;
  system.vsock_cid = 4711u;
  std::vector<Message> log;
  ASSERT_TRUE(WriteIssue(system, log).ok());
  EXPECT_EQ(system.written["/run/ssh-socket-proxy/vsock.issue"],
            "sshd listens on vsock port 22; from the host: ssh vsock%4711\n");
  FakeSystem hyperv;
  hyperv.vsock_cid = VMADDR_CID_ANY;
  log.clear();
  ASSERT_TRUE(WriteIssue(hyperv, log).ok());
  EXPECT_TRUE(hyperv.written.empty());
  EXPECT_TRUE(absl::StrContains(log.at(0).text, "none written"));
}

TEST(RenderTest, VsockSocketPullsInTheHintAndOnlyIt) {
  FakeSystem system;
  Vm(system);
  std::map<std::string, std::string> files;
  for (const UnitFile& f : Render(Decide(Gather(system)))) files[f.path] = f.content;
  EXPECT_TRUE(absl::StrContains(files["ssh-socket-proxy-vsock.socket"],
                                "\nWants=ssh-socket-proxy-vsock-issue.service\n"));
  EXPECT_FALSE(absl::StrContains(files["ssh-socket-proxy-unix-local.socket"], "Wants="));
  EXPECT_TRUE(absl::StrContains(
      files["ssh-socket-proxy-vsock-issue.service"],
      "\nExecStart=/usr/lib/systemd/system-generators/ssh-socket-proxy-generator --vsock-issue\n"))
      << files["ssh-socket-proxy-vsock-issue.service"];
  EXPECT_EQ(files.count("ssh-socket-proxy-vsock-recheck.service"), 0u);
}

// Issue 18: the level is a field of the message, never read from its text.
TEST(DecideTest, MessagesCarryTheirLevel) {
  FakeSystem system;
  Container(system);
  ContainerArgs(system, {"systemd.ssh_listen=bad", "systemd.ssh_auto=maybe"});
  Plan plan = Decide(Gather(system));
  int warnings = 0, infos = 0;
  for (const Message& m : plan.messages) {
    (m.level == Level::kWarning ? warnings : infos)++;
    EXPECT_EQ(m.level == Level::kWarning, absl::StartsWith(m.text, "ignoring")) << m.text;
  }
  EXPECT_EQ(warnings, 2);
  EXPECT_GE(infos, 1);
  FakeSystem unreadable;
  VmNoVsock(unreadable);
  unreadable.specials.insert("/proc/cmdline");
  unreadable.files.erase("/proc/cmdline");
  plan = Decide(Gather(unreadable));
  ASSERT_FALSE(plan.messages.empty());
  EXPECT_EQ(plan.messages.back().level, Level::kWarning) << plan.messages.back().text;
}

struct AddressCase {
  std::string in;
  std::string want;  // "" means rejected
  bool ipv6 = true;
};

TEST(CanonicalAddressTest, Table) {
  const std::string long_path = "/run/" + std::string(102, 'p');  // 107 bytes: fits
  const std::vector<AddressCase> cases = {
      {"/run/x.sock", "/run/x.sock"},
      {"@abstract", "@abstract"},
      {long_path, long_path},
      {long_path + "p", ""},
      {"/", ""},
      {"@", ""},
      {"/run", ""},
      {"/run/", ""},
      {"/var/run/x.sock", "/run/x.sock"},
      {"//run//x.sock/", "/run/x.sock"},
      {"/run/./a/./x.sock", "/run/a/x.sock"},
      {"/var/run/" + std::string(102, 'p'), long_path},  // fits once normalised
      {"/run/a/../x.sock", ""},
      {"/etc/shadow", ""},
      {"/tmp/x.sock", ""},
      {"/var/lib/x.sock", ""},
      // Other programs' sockets and files below /run (issue 16, item 6).
      {"/run/dbus/system_bus_socket", ""},
      {"/var/run/dbus/system_bus_socket", ""},
      {"/run/systemd/journal/socket", ""},
      {"/run/systemd/private", ""},
      {"//run/./systemd//notify", ""},
      {"/run/systemd", ""},
      {"/run/udev/control", ""},
      {"/run/user/0/bus", ""},
      {"/run/host/x.sock", ""},
      {"/run/host/unix-export/other", "/run/host/unix-export/other"},
      {"/run/host/unix-export", ""},
      {"/run/host/unix-export/ssh", "/run/host/unix-export/ssh"},
      {"/var/run/host/unix-export//ssh/", "/run/host/unix-export/ssh"},
      {"/run/credentials/@system/ssh.listen", ""},
      {"/run/log/journal/x", ""},
      {"/run/lock/x", ""},
      {"/run/mount/utab", ""},
      {"/run/utmp", ""},
      {"/run/nologin", ""},
      {"/run/initctl", ""},
      {"/run/sshd.pid", ""},
      {"/run/sshd/x.sock", ""},
      {"/run/systemdx/y.sock", "/run/systemdx/y.sock"},
      {"/run/users/x.sock", "/run/users/x.sock"},
      {"/run/sshd-extra.sock", "/run/sshd-extra.sock"},
      {"/run/x/systemd/y.sock", "/run/x/systemd/y.sock"},
      {"/run/x\\", "/run/x\\"},
      {"/run/x ", ""},
      {"/run/x /", ""},   // the trailing '/' goes, baring the space
      {"/run/x //", ""},
      {"/run/x /y", "/run/x /y"},
      {"@x ", ""},
      {"/run/\xff.sock", ""},
      {"/run/\xc3\xa9.sock", "/run/\xc3\xa9.sock"},
      {"/run/\xed\xa0\x80.sock", ""},
      {"/run/\xc0\xaf.sock", ""},
      {"@ab c", "@ab c"},
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
      {"k='v w' x", "k=v w|x"},
      {"'k=v' \"it's\" 'say \"hi\"'", "k=v|it's|say \"hi\""},
      {"a\\ b", "a\\|b"},
      {"k=\\\"no\\\"", "k=\\no\\"},
      {"a\vb\fc", "a\vb\fc"},
      {"a\rb", "a|b"},
      {"unterminated='a b", "unterminated=a b"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(absl::StrJoin(SplitKernelCmdline(in), "|"), want) << "'" << in << "'";
  }
}

// A string literal with its embedded NULs (without the terminating one).
template <size_t N>
std::string Nul(const char (&s)[N]) {
  return std::string(s, N - 1);
}

TEST(SplitPid1CmdlineTest, VerbatimWithoutInitsOwnOptions) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {Nul("/sbin/init\0"), ""},
      {Nul("/sbin/init\0'a b'\0c\\\0"), "'a b'|c\\"},
      {Nul("/lib/systemd/systemd\0--system\0-b\0x=1\0--\0-y\0"), "x=1|-y"},
      {Nul("/sbin/init\0\0a\0"), "a"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(absl::StrJoin(SplitPid1Cmdline(in), "|"), want) << absl::CEscape(in);
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

// Issue 16, item 5: every value reads back as it was given.
TEST(RenderTest, EscapesAsSystemdReadsBack) {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"/run/x.sock", "/run/x.sock"},
      {"/run/100%.sock", "/run/100%%.sock"},
      // An odd trailing backslash would join the next line (Accept=yes).
      {"/run/x\\", "/run/x\\ "},
      {"/run/x\\\\", "/run/x\\\\"},
      {"/run/a\\b", "/run/a\\b"},
      {"/run/a b", "/run/a b"},
  };
  for (const auto& [in, want] : values) EXPECT_EQ(EscapeValue(in), want) << in;
  const std::vector<std::tuple<std::string, bool, std::string>> words = {
      {"/usr/sbin/sshd", true, "/usr/sbin/sshd"},
      {"/opt/my ssh/sshd", true, "\"/opt/my ssh/sshd\""},
      {"/opt/100%/sshd", true, "/opt/100%%/sshd"},
      {"/opt/$x/sshd", true, "/opt/$x/sshd"},
      {"/run/c/$KEY", false, "/run/c/$$KEY"},
      {"/run/c/it's \"k\"\\", false, "\"/run/c/it's \\\"k\\\"\\\\\""},
      {";", false, "\\;"},
  };
  for (const auto& [in, first, want] : words) EXPECT_EQ(EscapeExecWord(in, first), want) << in;

  Plan plan;
  plan.sshd = "/usr/sbin/sshd";
  plan.listeners = {{"ssh-socket-proxy-extra", "/run/x\\", "/run/x\\"}};
  std::vector<UnitFile> files = Render(plan);
  EXPECT_TRUE(absl::StrContains(files[1].content,
                                "\nListenStream=/run/x\\ \nAccept=yes\nRemoveOnStop=yes\n"))
      << files[1].content;
  EXPECT_TRUE(absl::StrContains(files[1].content, "ssh-socket-proxy-generator, /run/x\\)\n"))
      << files[1].content;
}

TEST(RenderTest, SocketsKeepSshdOffAndCleanUp) {
  for (const UnitFile& f : Render(TwoSockets())) {
    if (!absl::EndsWith(f.path, ".socket") || !f.symlink_target.empty()) continue;
    EXPECT_TRUE(absl::StrContains(f.content, "\nConditionPathExists=!/etc/ssh/sshd_not_to_be_run\n"))
        << f.content;
    EXPECT_TRUE(absl::StrContains(f.content, "\nRemoveOnStop=yes\n")) << f.content;
  }
}

TEST(RenderTest, RootKeyUnitCannotHangBoot) {
  Plan plan;
  plan.root_key_credential = "/run/cred dir/$x/ssh.authorized_keys.root";
  const std::string unit = Render(plan)[0].content;
  EXPECT_TRUE(absl::StrContains(
      unit, "\nConditionFileNotEmpty=/run/cred dir/$x/ssh.authorized_keys.root\n"))
      << unit;
  EXPECT_TRUE(absl::StrContains(unit, "\nTimeoutSec=10s\n")) << unit;
  EXPECT_TRUE(absl::StrContains(
      unit, "ExecStart=/usr/bin/install -D -m 0600 \"/run/cred dir/$$x/ssh.authorized_keys.root\" "
            "/root/.ssh/authorized_keys\n"))
      << unit;
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
