// Copyright 2026 The ssh-socket-proxy Authors.
//
// Gather(): everything the decision needs, read once. Where systemd has a
// rule (virtualization detection, where the kernel command line and system
// credentials are), it is followed; the sources are named beside each rule.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// DIR as a path a unit can hold and systemd takes as it is: absolute, unit
// safe, and normalised (repeated and trailing '/' dropped; '.' or '..'
// refused, as systemd's path_is_normalized() refuses them in, say,
// ConditionFileNotEmpty=). Nothing when it cannot be.
std::optional<std::string> UnitDir(absl::string_view dir) {
  if (dir.empty() || dir[0] != '/' || !UnitSafe(dir)) return std::nullopt;
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(dir, '/', absl::SkipEmpty())) {
    if (part == "." || part == "..") return std::nullopt;
    parts.push_back(part);
  }
  return absl::StrCat("/", absl::StrJoin(parts, "/"));
}

// Where systemd (and so we) look for sshd: $PATH, else systemd's default.
std::string FindSshd(System& system) {
  std::string path = system.GetEnv("PATH").value_or(
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (absl::string_view entry : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    // The path goes into ExecStart=: only one that a unit can hold and
    // systemd runs (config_parse_exec() refuses an executable name with a
    // quote or a backslash in it: string_is_safe()).
    std::optional<std::string> dir = UnitDir(entry);
    if (!dir || dir->find_first_of("\"'\\") != std::string::npos) continue;
    std::string candidate = absl::StrCat(*dir == "/" ? "" : *dir, "/sshd");
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
  // systemd passes an absolute path; the key's path goes into a unit, so
  // only one that a unit can hold.
  if (auto env = system.GetEnv("CREDENTIALS_DIRECTORY")) {
    if (std::optional<std::string> dir = UnitDir(*env); dir && *dir != "/") {
      dirs.push_back(*dir);
    }
  }
  dirs.push_back("/run/credentials/@system");
  dirs.push_back("/run/host/credentials");
  return dirs;
}

// Kernel command line words: /proc/cmdline, or in a container PID 1's
// arguments. Read whole; an unreadable one is recorded, not taken as empty.
void ReadCmdline(System& system, Facts& facts) {
  const char* path = facts.container ? "/proc/1/cmdline" : "/proc/cmdline";
  absl::StatusOr<std::string> data = system.ReadFile(path);
  if (!data.ok()) {
    facts.cmdline_error = std::string(data.status().message());
    return;
  }
  facts.cmdline = facts.container ? SplitPid1Cmdline(*data)
                                  : SplitKernelCmdline(*data);
}

// A credential is a regular file; anything else (a FIFO someone could hold
// open, a device, a directory) is refused, once, by name.
bool UsableCredential(System& system, const std::string& path, Facts& facts) {
  if (!system.Exists(path)) return false;
  if (system.IsRegularFile(path)) return true;
  facts.refused_credentials.push_back(path);
  return false;
}

void GatherCredentials(System& system, Facts& facts) {
  for (const std::string& dir : CredentialDirs(system)) {
    std::string listen = absl::StrCat(dir, "/ssh.listen");
    if (!facts.listen_credential && UsableCredential(system, listen, facts)) {
      absl::StatusOr<std::string> data = system.ReadFile(listen);
      if (data.ok()) facts.listen_credential = *data;
    }
    std::string key = absl::StrCat(dir, "/ssh.authorized_keys.root");
    if (facts.root_key_credential.empty() &&
        UsableCredential(system, key, facts)) {
      facts.root_key_credential = key;
    }
  }
  // tmpfiles.d: /etc and /run replace the packaged file, whatever they hold
  // (a mask to /dev/null included).
  for (const char* conf : {"/etc/tmpfiles.d/provision.conf",
                           "/run/tmpfiles.d/provision.conf"}) {
    if (system.Exists(conf) || system.ReadLink(conf).ok()) {
      facts.provision_override = true;
    }
  }
  for (const char* conf : {"/usr/local/lib/tmpfiles.d/provision.conf",
                           "/usr/lib/tmpfiles.d/provision.conf",
                           "/lib/tmpfiles.d/provision.conf"}) {
    if (system.Exists(conf)) facts.vendor_provision = true;
  }
}

// A masked unit or generator: a symlink to /dev/null in /etc or /run.
bool Masked(System& system, absl::string_view dir_suffix,
            absl::string_view name) {
  for (absl::string_view base : {"/etc/systemd/", "/run/systemd/"}) {
    absl::StatusOr<std::string> target =
        system.ReadLink(absl::StrCat(base, dir_suffix, "/", name));
    if (target.ok() && *target == "/dev/null") return true;
  }
  return false;
}

// The admin's word on sshd: Debian's sshd_not_to_be_run (which ssh.service
// and ssh.socket honour), a masked ssh.service unless ssh.socket replaces
// it, and a masked systemd-ssh-generator.
void GatherSwitches(System& system, Facts& facts) {
  facts.sshd_not_to_be_run = system.Exists("/etc/ssh/sshd_not_to_be_run");
  facts.ssh_service_masked = Masked(system, "system", "ssh.service") ||
                             Masked(system, "system", "sshd.service");
  facts.ssh_socket_enabled =
      system.Exists("/etc/systemd/system/sockets.target.wants/ssh.socket");
  facts.systemd_ssh_generator_masked =
      Masked(system, "system-generators", "systemd-ssh-generator");
}

// A guest-to-host transport, from sysfs alone (no AF_VSOCK socket, which
// would also load modules): a driver with a device bound to it, or hv_sock
// registered (its devices come and go with each connection).
VsockTransport DetectVsockTransport(System& system) {
  // A driver's directory holds its bound devices beside bind, unbind,
  // uevent, module, new_id and remove_id.
  auto bound = [&](const char* driver_dir, auto is_device) {
    for (const std::string& name : system.ListDir(driver_dir)) {
      if (is_device(name)) return true;
    }
    return false;
  };
  auto virtio = [](absl::string_view n) {
    return absl::StartsWith(n, "virtio");
  };
  // PCI devices are named DOMAIN:BUS:SLOT.FN, e.g. 0000:00:07.7.
  auto pci = [](absl::string_view n) { return absl::StrContains(n, ':'); };
  if (bound("/sys/bus/virtio/drivers/vmw_vsock_virtio_transport", virtio)) {
    return VsockTransport::kVirtio;
  }
  if (system.Exists("/sys/bus/vmbus/drivers/hv_sock")) {
    return VsockTransport::kHyperV;
  }
  if (bound("/sys/bus/pci/drivers/vmw_vmci", pci)) {
    return VsockTransport::kVmci;
  }
  return VsockTransport::kNone;
}

void GatherVsock(System& system, Facts& facts) {
  facts.vsock_transport = DetectVsockTransport(system);
  absl::StatusOr<uint32_t> cid = system.LocalVsockCid();
  // Why there is no CID is not needed: the hint just says it is unknown.
  if (cid.ok()) facts.vsock_cid = *cid;
}

}  // namespace

std::vector<std::string> SplitKernelCmdline(absl::string_view cmdline) {
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool in_word = false;
  for (char c : cmdline) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
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

std::vector<std::string> SplitPid1Cmdline(absl::string_view cmdline) {
  std::vector<std::string> args = absl::StrSplit(cmdline, '\0');
  // /proc/1/cmdline ends in a NUL: the split leaves one empty word after it.
  if (!args.empty() && args.back().empty()) args.pop_back();
  std::vector<std::string> words;
  bool options = true;
  for (size_t i = 1; i < args.size(); ++i) {
    if (options && args[i] == "--") {
      options = false;
    } else if (!args[i].empty() && (!options || args[i][0] != '-')) {
      words.push_back(args[i]);
    }
  }
  return words;
}

Facts Gather(System& system) {
  Facts facts;
  facts.systemd_ssh_generator =
      system.Exists(
          "/usr/lib/systemd/system-generators/systemd-ssh-generator") ||
      system.Exists("/lib/systemd/system-generators/systemd-ssh-generator");
  GatherSwitches(system, facts);
  facts.sshd = FindSshd(system);
  facts.container = DetectContainer(system);
  facts.vm = !facts.container && DetectVm(system);
  if (facts.vm) GatherVsock(system, facts);
  facts.unix_export = facts.container &&
                      system.IsWritable("/run/host/unix-export/");
  ReadCmdline(system, facts);
  GatherCredentials(system, facts);
  facts.sshd_template = FindUnit(system, "sshd@.service");
  // systemd's socket_ipv6_is_supported(): the kernel lists IPv6 addresses.
  facts.ipv6 = system.Exists("/proc/net/if_inet6");
  absl::StatusOr<std::string> self = system.ReadLink("/proc/self/exe");
  if (self.ok()) facts.self = *self;
  return facts;
}

}  // namespace sshproxy::generator
