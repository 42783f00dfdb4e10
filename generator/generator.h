// Copyright 2026 The ssh-socket-proxy Authors.
//
// generator/ is the guest side and stands alone: it includes nothing of the
// proxy's packages (no cli/, lookup/, net/, parser/), only Abseil and the C
// library.
//
// ssh-socket-proxy-generator: a systemd generator that makes sshd reachable
// over AF_UNIX and AF_VSOCK in guests whose systemd (< 256) has no
// systemd-ssh-generator(8), listening where systemd 257's would for the same
// boot. Three steps, each testable alone:
//
//   PosixSystem system;
//   Facts facts = Gather(system);          // read everything, once
//   Plan plan = Decide(facts);             // pure: what to listen on
//   for (const Message& m : plan.messages) log(m.level, m.text);
//   absl::Status s = WriteUnits(system, argv[1], Render(plan));
//
// What it listens on (unless turned off by systemd.ssh_auto=no, by
// /etc/ssh/sshd_not_to_be_run or by a masked ssh.service):
//   /run/ssh-unix-local/socket  always                        ("ssh .host")
//   /run/host/unix-export/ssh   in a container that provides a writable
//                               /run/host/unix-export/
//   vsock::22                   in a VM whose kernel offers a guest-to-host
//                               vsock transport (VsockTransport)
// plus one socket per valid systemd.ssh_listen= on the kernel command line
// (PID 1's command line in a container) and per line of the ssh.listen
// system credential. Each socket runs one `sshd -i` per connection.
//
// Where systemd's own systemd-ssh-generator is installed it stands down,
// but for vsock::22 where systemd's leaves that unbound. It does nothing
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

// The directory a container manager exports a container's sockets from
// (systemd-nspawn binds it to the host), and the automatic socket in it.
inline constexpr absl::string_view kUnixExportDir = "/run/host/unix-export/";
inline constexpr absl::string_view kUnixExportPath = "/run/host/unix-export/ssh";

// The kinds of guest-to-host vsock transport the kernel can offer a guest.
// Only these let a host reach this machine's vsock::22; the /dev/vsock CID
// alone does not tell (vsock_loopback reads 1, vhost_vsock 2, Hyper-V 1 or
// VMADDR_CID_ANY).
enum class VsockTransport {
  kNone,
  kVirtio,  // a virtio-vsock device bound to vmw_vsock_virtio_transport
  kHyperV,  // the hv_sock driver registered on the VMBus
  kVmci,    // a VMware VMCI guest device bound to vmw_vmci
};

// What the system looks like, read once by Gather().
struct Facts {
  // systemd's own generator (systemd >= 256) is installed.
  bool systemd_ssh_generator = false;
  // ... and masked in /etc or /run (a symlink to /dev/null): the admin
  // turned systemd's ssh sockets off.
  bool systemd_ssh_generator_masked = false;
  // Absolute path of sshd found on PATH; empty when there is none.
  std::string sshd;
  // /etc/ssh/sshd_not_to_be_run exists: Debian's switch for "no sshd".
  bool sshd_not_to_be_run = false;
  // ssh.service (or sshd.service) is masked, and ssh.socket is not enabled
  // in its place: no sshd runs the Debian way.
  bool ssh_service_masked = false;
  bool ssh_socket_enabled = false;
  bool container = false;
  bool vm = false;
  // What the kernel offers (read only in a VM).
  VsockTransport vsock_transport = VsockTransport::kNone;
  // The ioctl's answer (read only in a VM, never in a container), when it
  // gave one.
  std::optional<uint32_t> vsock_cid;
  // /run/host/unix-export/ exists and is writable.
  bool unix_export = false;
  // Kernel command line words (PID 1's arguments in a container).
  std::vector<std::string> cmdline;
  // Set iff the command line could not be read, to why (which may be
  // empty); then nothing binds (a systemd.ssh_auto=no may be in what we
  // could not read).
  std::optional<std::string> cmdline_error;
  // The ssh.listen system credential, when there is one.
  std::optional<std::string> listen_credential;
  // Path of the ssh.authorized_keys.root credential, when it is a regular
  // file.
  std::string root_key_credential;
  // Credentials refused (a FIFO, a device, a directory), one line each.
  std::vector<std::string> refused_credentials;
  // A provision.conf in /etc/tmpfiles.d or /run/tmpfiles.d (any content,
  // or masked): the admin decides about credential provisioning.
  bool provision_override = false;
  // systemd's own provision.conf (252+) is installed.
  bool vendor_provision = false;
  // An installed sshd@.service (RHEL, Fedora, Debian 13) to reuse; else empty.
  std::string sshd_template;
  // The kernel has IPv6: a bare port means [::]:PORT, else 0.0.0.0:PORT.
  bool ipv6 = true;
  // This binary, for the units that run it again after boot.
  std::string self;
};

// One socket to listen on.
struct Listener {
  std::string
      name;  // unit name without ".socket", e.g. ssh-socket-proxy-unix-local
  std::string address;  // ListenStream= value, canonical
  std::string what;     // for Description= and the log
  // Do not start when this path exists (systemd's own vsock socket).
  std::string unless_path = {};
};

// How much a log line matters; the kernel log level is chosen from this.
enum class Level { kInfo, kWarning };

struct Message {
  Level level;
  std::string text;
};

// What to write, decided by Decide() from Facts alone.
struct Plan {
  // Log lines (one per decision worth telling and per skipped bad value).
  std::vector<Message> messages;
  std::vector<Listener> listeners;
  std::string sshd;  // ExecStart= binary of our per-connection template
  std::string sshd_template;  // reuse this sshd@.service instead, if set
  // Import root's key from this credential file (systemd < 252 only).
  std::string root_key_credential;
  // Look again for a vsock transport when one appears (udev starts
  // ssh-socket-proxy-vsock-recheck.service).
  bool vsock_recheck = false;
  // This binary (ExecStart= of the re-check and the console hint).
  std::string self;
};

// A file of the generator's output, relative to the output directory:
// CONTENT, or a symlink to SYMLINK_TARGET when that is set.
struct UnitFile {
  std::string path;
  std::string content;
  std::string symlink_target;
};

// The name of the vsock socket's unit (without ".socket"), the socket of
// systemd's own generator that ours never doubles, and the console hint:
// agetty before util-linux 2.41 (Debian 11, 12) reads /etc/issue.d/ but not
// /run/issue.d/ where /etc/issue exists, so the hint is written here and
// the package links /etc/issue.d/50-ssh-socket-proxy-vsock.issue to it (a
// dangling link is skipped silently).
inline constexpr absl::string_view kVsockUnit = "ssh-socket-proxy-vsock";
inline constexpr absl::string_view kSystemdVsockSocket =
    "/run/systemd/generator/sshd-vsock.socket";
inline constexpr absl::string_view kIssueDir = "/run/ssh-socket-proxy";
inline constexpr absl::string_view kIssueFile =
    "/run/ssh-socket-proxy/vsock.issue";

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

// True iff S can go into a unit file as it is: well-formed UTF-8 (systemd
// skips a line that is not) and no control characters (a newline would end
// the line, a tab is blank to the parser).
bool UnitSafe(absl::string_view s);

// Splits /proc/cmdline into words as systemd does (extract_first_word with
// EXTRACT_UNQUOTE|EXTRACT_RELAX|EXTRACT_RETAIN_ESCAPE): words end at space,
// tab, CR or LF; single and double quotes group and are removed, anywhere
// in a word; a backslash is an ordinary character; an unterminated quote
// runs to the end.
std::vector<std::string> SplitKernelCmdline(absl::string_view cmdline);

// PID 1's arguments (NUL-separated, as /proc/1/cmdline holds them) as
// systemd 257 reads them in a container: verbatim, no unquoting; argv[0]
// and PID 1's own options (words starting with '-', until "--") dropped.
std::vector<std::string> SplitPid1Cmdline(absl::string_view cmdline);

// What the re-check after boot does: the plan for the vsock socket alone
// when the decision now binds it, else nothing. See RecheckVsock().
Plan VsockOnly(const Plan& plan);

// ssh-socket-proxy-generator --vsock-recheck DIR: decides again and, iff
// that now binds vsock::22 and DIR does not have the unit yet, writes the
// vsock units into DIR and returns true. Logs one line either way into
// LOG.
bool RecheckVsock(System& system, const std::string& dir,
                  std::vector<Message>& log);

// The console hint for CID (e.g. "ssh vsock%4711"), or nothing for a CID
// that does not name this machine from outside (0, 1, 2, VMADDR_CID_ANY).
std::optional<std::string> IssueText(std::optional<uint32_t> cid);

// Unit file escaping, as systemd reads values back: '%' doubled (specifier
// expansion), and a trailing odd backslash kept from joining the next line.
std::string EscapeValue(absl::string_view value);
// One ExecStart= word, as config_parse_exec() reads it back: '%' doubled;
// '$' doubled unless FIRST (the executable's path is not expanded); quoted
// and C-escaped when it holds whitespace, quotes or backslashes; a lone ';'
// escaped.
std::string EscapeExecWord(absl::string_view word, bool first);

// ssh-socket-proxy-generator --vsock-issue: the console hint file
// (kIssueFile) for this VM's CID, or a log line saying why there is none.
absl::Status WriteIssue(System& system, std::vector<Message>& log);

}  // namespace sshproxy::generator

#endif  // SSHPROXY_GENERATOR_GENERATOR_H_
