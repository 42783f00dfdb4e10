// Copyright 2026 The ssh-socket-proxy Authors.
//
// Gather(): everything the decision needs, read once. Where systemd has a
// rule (virtualization detection, where the kernel command line and system
// credentials are), it is followed; the sources are named beside each rule.


#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "generator/generator.h"

namespace sshproxy::generator {
namespace {

std::string ReadOrEmpty(System& system, const std::string& path) {
  absl::StatusOr<std::string> data = system.ReadFile(path);
  return data.ok() ? *data : std::string();
}

// Like systemd's detect_container(): PID 1 records what it found in
// /run/systemd/container (systemd >= 209); when that is missing, PID 1's
// own `container=` environment variable; then the markers podman, docker,
// OpenVZ and WSL leave.
bool DetectContainer(System& system) {
  if (!absl::StripAsciiWhitespace(
           ReadOrEmpty(system, "/run/systemd/container"))
           .empty()) {
    return true;
  }
  for (absl::string_view var :
       absl::StrSplit(ReadOrEmpty(system, "/proc/1/environ"), '\0')) {
    if (absl::StartsWith(var, "container=") && var.size() > 10) return true;
  }
  if (system.Exists("/run/.containerenv") || system.Exists("/.dockerenv")) {
    return true;
  }
  if (system.Exists("/proc/vz") && !system.Exists("/proc/bc")) return true;
  std::string osrelease = ReadOrEmpty(system, "/proc/sys/kernel/osrelease");
  return absl::StrContains(osrelease, "Microsoft") ||
         absl::StrContains(osrelease, "WSL");
}

// Like systemd's detect_vm(): DMI vendor strings, the CPUID hypervisor bit,
// Xen (a domU, not dom0), /sys/hypervisor, a device tree's hypervisor node,
// User Mode Linux and z/VM.
bool DetectVm(System& system) {
  static constexpr absl::string_view kDmiFiles[] = {
      "/sys/class/dmi/id/product_name", "/sys/class/dmi/id/sys_vendor",
      "/sys/class/dmi/id/board_vendor", "/sys/class/dmi/id/bios_vendor",
      "/sys/class/dmi/id/product_version"};
  static constexpr absl::string_view kDmiVendors[] = {
      "KVM", "OpenStack", "KubeVirt", "Amazon EC2", "QEMU", "VMware", "VMW",
      "innotek GmbH", "VirtualBox", "Xen", "Bochs", "Parallels", "BHYVE",
      "Hyper-V", "Apple Virtualization", "Google Compute Engine"};
  for (absl::string_view file : kDmiFiles) {
    std::string value = ReadOrEmpty(system, std::string(file));
    for (absl::string_view vendor : kDmiVendors) {
      if (absl::StartsWith(value, vendor)) return true;
    }
  }
  if (system.Exists("/proc/xen")) {
    return !absl::StrContains(ReadOrEmpty(system, "/proc/xen/capabilities"),
                              "control_d");
  }
  if (system.CpuidHypervisor()) return true;
  if (system.Exists("/sys/hypervisor/type") ||
      system.Exists("/proc/device-tree/hypervisor/compatible")) {
    return true;
  }
  if (absl::StrContains(ReadOrEmpty(system, "/proc/cpuinfo"),
                        "User Mode Linux")) {
    return true;
  }
  return absl::StrContains(ReadOrEmpty(system, "/proc/sysinfo"),
                           "VM00 Control Program");
}

// Where systemd (and so we) look for sshd: $PATH, else systemd's default.
std::string FindSshd(System& system) {
  std::string path = system.GetEnv("PATH").value_or(
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    if (dir[0] != '/') continue;
    std::string candidate = absl::StrCat(dir, "/sshd");
    if (system.IsExecutable(candidate)) return candidate;
  }
  return "";
}

// The first file of NAME in systemd's system unit search path (generated
// units excluded, as systemd's generator looks it up).
std::string FindUnit(System& system, absl::string_view name) {
  static constexpr absl::string_view kUnitDirs[] = {
      "/etc/systemd/system", "/run/systemd/system",
      "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
      "/lib/systemd/system"};
  for (absl::string_view dir : kUnitDirs) {
    std::string path = absl::StrCat(dir, "/", name);
    if (system.Exists(path)) return path;
  }
  return "";
}

// System credentials: $CREDENTIALS_DIRECTORY when systemd passes one (257),
// else where systemd 252 puts them, else where systemd-nspawn mounts them for
// a container's PID 1 (older systemd).
std::vector<std::string> CredentialDirs(System& system) {
  std::vector<std::string> dirs;
  if (auto env = system.GetEnv("CREDENTIALS_DIRECTORY"); env && !env->empty()) {
    dirs.push_back(*env);
  }
  dirs.push_back("/run/credentials/@system");
  dirs.push_back("/run/host/credentials");
  return dirs;
}

// Kernel command line words. In a container systemd reads PID 1's arguments
// (argv[0] is the init binary, not an option).
std::vector<std::string> ReadCmdline(System& system, bool container) {
  if (!container) {
    return SplitKernelCmdline(ReadOrEmpty(system, "/proc/cmdline"));
  }
  std::vector<std::string> words =
      absl::StrSplit(ReadOrEmpty(system, "/proc/1/cmdline"), '\0',
                     absl::SkipEmpty());
  if (!words.empty()) words.erase(words.begin());
  return words;
}

void GatherCredentials(System& system, Facts& facts) {
  for (const std::string& dir : CredentialDirs(system)) {
    std::string listen = absl::StrCat(dir, "/ssh.listen");
    if (!facts.listen_credential) {
      absl::StatusOr<std::string> data = system.ReadFile(listen);
      if (data.ok()) facts.listen_credential = *data;
    }
    std::string key = absl::StrCat(dir, "/ssh.authorized_keys.root");
    if (facts.root_key_credential.empty() && system.Exists(key)) {
      facts.root_key_credential = key;
    }
  }
  // An /etc/tmpfiles.d/provision.conf replaces the packaged one.
  for (const char* conf :
       {"/etc/tmpfiles.d/provision.conf", "/usr/lib/tmpfiles.d/provision.conf",
        "/lib/tmpfiles.d/provision.conf"}) {
    absl::StatusOr<std::string> data = system.ReadFile(conf);
    if (!data.ok()) continue;
    facts.systemd_imports_root_key =
        absl::StrContains(*data, "ssh.authorized_keys.root");
    break;
  }
}

}  // namespace

std::vector<std::string> SplitKernelCmdline(absl::string_view cmdline) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, in_word = false;
  for (char c : cmdline) {
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

Facts Gather(System& system) {
  Facts facts;
  facts.systemd_ssh_generator =
      system.Exists("/usr/lib/systemd/system-generators/systemd-ssh-generator") ||
      system.Exists("/lib/systemd/system-generators/systemd-ssh-generator");
  if (facts.systemd_ssh_generator) return facts;  // nothing else matters
  facts.sshd = FindSshd(system);
  facts.container = DetectContainer(system);
  facts.vm = !facts.container && DetectVm(system);
  if (facts.vm) {
    absl::StatusOr<uint32_t> cid = system.LocalVsockCid();
    if (cid.ok()) {
      facts.vsock_cid = *cid;
    } else {
      facts.vsock_error = std::string(cid.status().message());
    }
  }
  facts.unix_export = facts.container &&
                      system.IsWritable("/run/host/unix-export/");
  facts.cmdline = ReadCmdline(system, facts.container);
  GatherCredentials(system, facts);
  facts.sshd_template = FindUnit(system, "sshd@.service");
  // systemd's socket_ipv6_is_supported(): the kernel lists IPv6 addresses.
  facts.ipv6 = system.Exists("/proc/net/if_inet6");
  return facts;
}

}  // namespace sshproxy::generator
