// Copyright 2026 The ssh-socket-proxy Authors.
//
// Everything ssh-socket-proxy-generator reads from and writes to the system,
// behind one narrow interface, so that every decision is unit-tested on a
// scripted system (generator/fake_system.h) and no test reaches the real
// /proc, /run or /dev/vsock.
//
//   PosixSystem system;
//   absl::StatusOr<std::string> cmdline = system.ReadFile("/proc/cmdline");
//   absl::StatusOr<uint32_t> cid = system.LocalVsockCid();
//
// The generator never creates an AF_VSOCK socket: whether this VM has a vsock
// transport is an ioctl on /dev/vsock (IOCTL_VM_SOCKETS_GET_LOCAL_CID), which
// connects to nothing.

#ifndef SSHPROXY_GENERATOR_SYSTEM_H_
#define SSHPROXY_GENERATOR_SYSTEM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sshproxy::generator {

class System {
 public:
  virtual ~System() = default;

  // The whole contents of the regular file PATH (symlinks followed), however
  // long: a cap would drop the end of a command line, and with it a
  // systemd.ssh_auto=no. Opened with O_NONBLOCK and checked with fstat, so a
  // FIFO or a device is refused (FailedPreconditionError), never waited on.
  // NotFoundError iff it does not exist; other errors carry the errno.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // True iff PATH is a regular file (symlinks followed).
  virtual bool IsRegularFile(const std::string& path) = 0;
  // The names in directory PATH (without "." and ".."); empty when it cannot
  // be read.
  virtual std::vector<std::string> ListDir(const std::string& path) = 0;
  // The target of symlink PATH; an error iff PATH is not a symlink.
  virtual absl::StatusOr<std::string> ReadLink(const std::string& path) = 0;
  // True iff PATH exists (symlinks followed).
  virtual bool Exists(const std::string& path) = 0;
  // True iff PATH is a regular file this process may execute.
  virtual bool IsExecutable(const std::string& path) = 0;
  // True iff PATH exists and this process may write into it (access W_OK);
  // false for a read-only mount.
  virtual bool IsWritable(const std::string& path) = 0;
  // The value of environment variable NAME, if set.
  virtual std::optional<std::string> GetEnv(const std::string& name) = 0;
  // The local CID from IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock; an
  // error iff /dev/vsock is missing or the ioctl fails. Says nothing certain
  // about a guest-to-host transport: 1 with only vsock_loopback, 2 with
  // vhost_vsock, 1 or VMADDR_CID_ANY under Hyper-V.
  virtual absl::StatusOr<uint32_t> LocalVsockCid() = 0;
  // True iff the CPU reports a hypervisor (x86 CPUID leaf 1, ECX bit 31);
  // false on other architectures.
  virtual bool CpuidHypervisor() = 0;

  // Writes CONTENT to PATH whole: a temporary file in the same directory,
  // then rename(2), so that systemd never reads half a unit.
  virtual absl::Status WriteFileAtomic(const std::string& path,
                                       const std::string& content) = 0;
  // Creates the symlink PATH -> TARGET (replacing an existing symlink).
  virtual absl::Status Symlink(const std::string& target,
                               const std::string& path) = 0;
  // mkdir -p PATH (mode 0755).
  virtual absl::Status MakeDirs(const std::string& path) = 0;
};

// The real system. Each method is a few lines around the call.
class PosixSystem : public System {
 public:
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  bool IsRegularFile(const std::string& path) override;
  std::vector<std::string> ListDir(const std::string& path) override;
  absl::StatusOr<std::string> ReadLink(const std::string& path) override;
  bool Exists(const std::string& path) override;
  bool IsExecutable(const std::string& path) override;
  bool IsWritable(const std::string& path) override;
  std::optional<std::string> GetEnv(const std::string& name) override;
  absl::StatusOr<uint32_t> LocalVsockCid() override;
  bool CpuidHypervisor() override;
  absl::Status WriteFileAtomic(const std::string& path,
                               const std::string& content) override;
  absl::Status Symlink(const std::string& target,
                       const std::string& path) override;
  absl::Status MakeDirs(const std::string& path) override;
};

}  // namespace sshproxy::generator

#endif  // SSHPROXY_GENERATOR_SYSTEM_H_
