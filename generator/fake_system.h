// Copyright 2026 The ssh-socket-proxy Authors.
//
// A scripted System for tests: files, executables, writable paths and the
// environment are what the test put there; everything else does not exist.
// Written units land in `written` (path -> content, symlinks as "-> TARGET");
// written files are also readable through `files` afterwards.
//
//   FakeSystem system;
//   system.files["/run/systemd/container"] = "systemd-nspawn\n";
//   system.executables.insert("/usr/sbin/sshd");
//   Plan plan = Decide(Gather(system));

#ifndef SSHPROXY_GENERATOR_FAKE_SYSTEM_H_
#define SSHPROXY_GENERATOR_FAKE_SYSTEM_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "generator/system.h"

namespace sshproxy::generator {

class FakeSystem : public System {
 public:
  std::map<std::string, std::string> files;
  // Paths that exist but are no regular file (FIFOs, devices, directories):
  // ReadFile refuses them as PosixSystem does.
  std::set<std::string> specials;
  // Symlinks (path -> target); they exist, and ReadFile follows them to a
  // scripted file.
  std::map<std::string, std::string> symlinks;
  std::set<std::string> executables;
  std::set<std::string> writable;
  std::map<std::string, std::string> env;
  // The ioctl's answer; NotFound (no /dev/vsock) unless a test sets it.
  absl::StatusOr<uint32_t> vsock_cid =
      absl::NotFoundError("open /dev/vsock: No such file or directory");
  bool cpuid_hypervisor = false;
  // How often LocalVsockCid() was called (never in a container).
  int vsock_queries = 0;
  // Writes: the result, and the write that fails (0: none).
  std::map<std::string, std::string> written;
  int fail_write_number = 0;

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

 private:
  absl::Status CountWrite(const std::string& path);
  std::vector<std::string> AllPaths() const;
  int writes_ = 0;
};

}  // namespace sshproxy::generator

#endif  // SSHPROXY_GENERATOR_FAKE_SYSTEM_H_
