// Copyright 2026 The ssh-socket-proxy Authors.
//
// ssh-socket-proxy-generator: a systemd generator that makes sshd reachable
// over AF_UNIX and AF_VSOCK in guests whose systemd (< 256) has no
// systemd-ssh-generator(8), listening where systemd 257's would for the same
// boot. Three steps, each testable alone:
//
//   PosixSystem system;
//   Facts facts = Gather(system);          // read everything, once
//   Plan plan = Decide(facts);             // pure: what to listen on
//   for (const std::string& m : plan.messages) log(m);
//   absl::Status s = WriteUnits(system, argv[1], Render(plan));
//
// What it listens on (unless turned off by systemd.ssh_auto=no):
//   /run/ssh-unix-local/socket  always                        ("ssh .host")
//   /run/host/unix-export/ssh   in a container that provides a writable
//                               /run/host/unix-export/
//   vsock::22                   in a VM whose /dev/vsock reports a local CID
// plus one socket per valid systemd.ssh_listen= on the kernel command line
// (PID 1's command line in a container) and per line of the ssh.listen
// system credential. Each socket runs one `sshd -i` per connection.
//
// It does nothing when systemd's own systemd-ssh-generator is installed or
// when there is no sshd. Bad values are reported in Plan::messages and
// skipped; nothing here ever fails the boot.

#ifndef SSHPROXY_GENERATOR_GENERATOR_H_
#define SSHPROXY_GENERATOR_GENERATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "generator/system.h"

namespace sshproxy::generator {

// Every file name we write starts with this, so nothing collides with
// systemd's sshd-*.socket units or a distribution's ssh units.
inline constexpr absl::string_view kUnitPrefix = "ssh-socket-proxy-";

// What the system looks like, read once by Gather().
struct Facts {
  // systemd's own generator (systemd >= 256) is installed.
  bool systemd_ssh_generator = false;
  // Absolute path of sshd found on PATH; empty when there is none.
  std::string sshd;
  bool container = false;
  bool vm = false;
  // The ioctl's answer (read only in a VM, never in a container); or why not.
  std::optional<uint32_t> vsock_cid;
  std::string vsock_error;
  // /run/host/unix-export/ exists and is writable.
  bool unix_export = false;
  // Kernel command line words (PID 1's arguments in a container).
  std::vector<std::string> cmdline;
  // The ssh.listen system credential, when there is one.
  std::optional<std::string> listen_credential;
  // Path of the ssh.authorized_keys.root credential, when there is one.
  std::string root_key_credential;
  // systemd's tmpfiles provision.conf (252+) imports that credential.
  bool systemd_imports_root_key = false;
  // An installed sshd@.service (RHEL, Fedora, Debian 13) to reuse; else empty.
  std::string sshd_template;
  // The kernel has IPv6: a bare port means [::]:PORT, else 0.0.0.0:PORT.
  bool ipv6 = true;
};

// One socket to listen on.
struct Listener {
  std::string name;     // unit name without ".socket", e.g. ssh-socket-proxy-unix-local
  std::string address;  // ListenStream= value, canonical
  std::string what;     // for Description= and the log
};

// What to write, decided by Decide() from Facts alone.
struct Plan {
  // Log lines (one per decision worth telling and per skipped bad value).
  std::vector<std::string> messages;
  std::vector<Listener> listeners;
  std::string sshd;           // ExecStart= binary of our per-connection template
  std::string sshd_template;  // reuse this sshd@.service instead, if set
  // Import root's key from this credential file (systemd < 252 only).
  std::string root_key_credential;
};

// A file of the generator's output, relative to the output directory:
// CONTENT, or a symlink to SYMLINK_TARGET when that is set.
struct UnitFile {
  std::string path;
  std::string content;
  std::string symlink_target;
};

// Reads everything Decide() needs through SYSTEM. Never fails: what cannot
// be read counts as absent.
Facts Gather(System& system);

// Decides from FACTS alone.
Plan Decide(const Facts& facts);

// The unit files for PLAN, in the order they must appear: each service
// before its socket, each socket before the symlink that pulls it in.
std::vector<UnitFile> Render(const Plan& plan);

// Writes FILES under DIR (each whole, via temp file and rename). Stops at
// the first error and returns it.
absl::Status WriteUnits(System& system, const std::string& dir,
                        const std::vector<UnitFile>& files);

// A ListenStream= address in systemd.ssh_listen= syntax -> its canonical
// form: /path, @abstract, vsock:CID:PORT (vsock::PORT for any CID),
// IPv4:PORT, [IPv6]:PORT; a bare PORT is [::]:PORT (0.0.0.0:PORT without
// IPV6). InvalidArgumentError, saying why, for anything else.
absl::StatusOr<std::string> CanonicalAddress(absl::string_view value,
                                             bool ipv6);

// Splits a kernel command line into words; double quotes group (and are
// removed), as the kernel and systemd read it.
std::vector<std::string> SplitKernelCmdline(absl::string_view cmdline);

}  // namespace sshproxy::generator

#endif  // SSHPROXY_GENERATOR_GENERATOR_H_
