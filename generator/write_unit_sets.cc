// Copyright 2026 The ssh-socket-proxy Authors.
//
// write_unit_sets DIR SELF [--random SEED COUNT] [FUZZ-INPUT...]: writes
// every kind of unit set the generator makes, each from a scripted system
// through Gather, Decide, Render and the real WriteUnits, into DIR/NAME/,
// for verify_test.sh to hand to `systemd-analyze verify`: the kinds
// (container, VM, the re-check, systemd 257's vsock cover), a table of
// hostile inputs, one set per FUZZ-INPUT file (the generator_input corpus)
// and, with --random, COUNT random hostile systems from SEED in
// DIR/random-*/ (see RandomSets). SELF is the generator's path, written
// into the units that run it again. A test helper, never installed.

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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

// Pieces of hostile values: everything systemd unescapes, expands or
// splits at, a two-byte UTF-8 letter, and a tab (refused wherever it lands).
constexpr const char* kPieces[] = {"\\", "%", "\"", "'", "$", ";", " ", "\xc3\xa9",
                                   "\t", "a", "b", "/", ".", "%n", "$$", "\\;", "{}"};

std::string Hostile(std::mt19937& rng, int max_pieces) {
  std::string out;
  const int n = std::uniform_int_distribution<int>(1, max_pieces)(rng);
  for (int i = 0; i < n; ++i) {
    out += kPieces[std::uniform_int_distribution<size_t>(0, std::size(kPieces) - 1)(rng)];
  }
  return out;
}

// One random system: a container or a VM (with or without a transport), an
// sshd and a credential directory with hostile names, and up to six hostile
// addresses, in the ssh.listen credential and, in a container, on PID 1's
// command line.
FakeSystem RandomSystem(std::mt19937& rng, const std::string& self) {
  FakeSystem s;
  s.files["/proc/net/if_inet6"] = "";
  s.symlinks["/proc/self/exe"] = self;
  const std::string sshd_dir = "/opt/" + Hostile(rng, 6);
  s.env["PATH"] = sshd_dir + ":/usr/sbin";
  s.executables = {sshd_dir + "/sshd", "/usr/sbin/sshd"};
  const std::string creds = "/run/" + Hostile(rng, 6);
  s.env["CREDENTIALS_DIRECTORY"] = creds;
  s.files[creds + "/ssh.authorized_keys.root"] = "k";
  std::string listen, args = "/sbin/init";
  const int n = std::uniform_int_distribution<int>(1, 6)(rng);
  for (int i = 0; i < n; ++i) {
    const int kind = std::uniform_int_distribution<int>(0, 3)(rng);
    std::string a = kind == 0   ? "@" + Hostile(rng, 8)
                    : kind == 1 ? "/var/run//" + Hostile(rng, 8) + "/"
                                : "/run/" + Hostile(rng, 8);
    listen += a + "\n";
    args += std::string(1, '\0') + "systemd.ssh_listen=" + a;
  }
  s.files[creds + "/ssh.listen"] = listen;
  switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
    case 0:
      s.files["/run/systemd/container"] = "systemd-nspawn";
      s.writable.insert("/run/host/unix-export/");
      s.files["/proc/1/cmdline"] = args;
      break;
    case 1:
      Qemu(s, "ro");
      Virtio(s);
      break;
    default:
      Qemu(s, "ro");
  }
  return s;
}

// The set's files under names of their own (ssh-socket-proxy-rN-...), so
// that many random sets share a directory and one verify call; the
// units name each other only through kVsockUnit, renamed alike.
std::vector<UnitFile> Renamed(std::vector<UnitFile> files, int n) {
  const std::string prefix(kUnitPrefix), tag = absl::StrCat(prefix, "r", n, "-");
  auto rename = [&](const std::string& name) {
    return absl::StrReplaceAll(name, {{prefix, tag}});
  };
  const std::string vsock(kVsockUnit);
  for (UnitFile& f : files) {
    f.path = rename(f.path);
    f.symlink_target = rename(f.symlink_target);
    f.content = absl::StrReplaceAll(f.content, {{vsock, rename(vsock)}});
  }
  return files;
}

// Sets per directory: systemd-analyze verify takes about 2 s for 50 sets
// (500 units) but grows faster than linearly past that.
constexpr int kRandomBatch = 50;

// COUNT random systems from SEED, kRandomBatch to a directory DIR/random-B/;
// DIR/random.expected gets "random-B/FILE<TAB>ADDRESS" per socket, for the
// read-back.
int RandomSets(PosixSystem& real, const std::string& dir, const std::string& self,
               uint32_t seed, int count) {
  std::mt19937 rng(seed);
  std::ofstream expected(dir + "/random.expected");
  for (int n = 0; n < count; ++n) {
    FakeSystem fake = RandomSystem(rng, self);
    Plan plan = Decide(Gather(fake));
    const std::string batch = absl::StrCat("random-", n / kRandomBatch);
    absl::Status s = WriteUnits(real, absl::StrCat(dir, "/", batch), Renamed(Render(plan), n));
    if (!s.ok()) {
      std::fprintf(stderr, "write_unit_sets: random %d: %s\n", n, std::string(s.message()).c_str());
      return 1;
    }
    for (const Listener& l : plan.listeners) {
      expected << batch << "/" << Renamed({{l.name + ".socket", "", ""}}, n)[0].path << "\t"
               << l.address << "\n";
    }
  }
  return expected.good() ? 0 : 1;
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
    std::fprintf(stderr,
                 "usage: write_unit_sets DIR SELF [--random SEED COUNT] [FUZZ-INPUT...]\n");
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
  int first_input = 3;
  if (argc >= 6 && std::string(argv[3]) == "--random") {
    uint32_t seed = 0;
    int count = 0;
    if (!absl::SimpleAtoi(argv[4], &seed) || !absl::SimpleAtoi(argv[5], &count)) {
      std::fprintf(stderr, "write_unit_sets: bad --random SEED COUNT\n");
      return 2;
    }
    if (RandomSets(real, dir, self, seed, count) != 0) return 1;
    first_input = 6;
  }
  for (int i = first_input; i < argc; ++i) {
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
