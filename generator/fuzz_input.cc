// Copyright 2026 The ssh-socket-proxy Authors.

#include "generator/fuzz_input.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace sshproxy::generator {

FuzzInput ParseFuzzInput(absl::string_view data) {
  FuzzInput in;
  const unsigned char mode = static_cast<unsigned char>(data[0]);
  in.container = mode & 1;
  in.transport = mode & 2;
  in.sshd_off = mode & 4;
  in.systemd257 = mode & 8;
  std::vector<std::string> parts =
      absl::StrSplit(data.substr(1), absl::MaxSplits("\n--\n", 3));
  parts.resize(4);
  in.cmdline = parts[0];
  in.credential = parts[1];
  in.sshd_dir = parts[2];
  in.credential_dir = parts[3];
  return in;
}

FakeSystem ScriptedSystem(const FuzzInput& in, const std::string& self) {
  FakeSystem s;
  // The fake has no file tree: a scripted path makes every directory above
  // it exist. The input's directories therefore live below /opt/ and
  // /run/fuzz/, where they cannot stand for a path the generator reads
  // (an sshd in /sys/bus/vmbus/drivers/hv_sock/x would fake a transport).
  if (in.sshd_dir.empty()) {
    s.executables.insert("/usr/sbin/sshd");
  } else {
    s.env["PATH"] = "/opt/" + in.sshd_dir;
    s.executables.insert("/opt/" + in.sshd_dir + "/sshd");
  }
  s.files["/proc/net/if_inet6"] = "";
  s.symlinks["/proc/self/exe"] = self;
  // By default everything systemd expands or unescapes, in one directory.
  const std::string creds = in.credential_dir.empty()
                                ? "/run/cred's \"dir\" 100%$x\\"
                                : "/run/fuzz/" + in.credential_dir;
  s.env["CREDENTIALS_DIRECTORY"] = creds;
  s.files[creds + "/ssh.listen"] = in.credential;
  s.files[creds + "/ssh.authorized_keys.root"] = "ssh-ed25519 AAAA k";
  if (in.sshd_off) s.files["/etc/ssh/sshd_not_to_be_run"] = "";
  if (in.systemd257) {
    s.executables.insert(
        "/usr/lib/systemd/system-generators/systemd-ssh-generator");
  }
  if (in.container) {
    s.files["/run/systemd/container"] = "systemd-nspawn";
    s.writable.insert("/run/host/unix-export/");
    s.files["/proc/1/cmdline"] = std::string("/sbin/init\0", 11) + in.cmdline;
  } else {
    s.files["/sys/class/dmi/id/sys_vendor"] = "QEMU";
    s.files["/proc/cmdline"] = in.cmdline;
    s.vsock_cid = 3u;
    if (in.transport) {
      s.symlinks["/sys/bus/virtio/drivers/vmw_vsock_virtio_transport/virtio1"] =
          "x";
    }
  }
  return s;
}

}  // namespace sshproxy::generator
