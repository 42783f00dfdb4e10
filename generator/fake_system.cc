// Copyright 2026 The ssh-socket-proxy Authors.

#include "generator/fake_system.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sshproxy::generator {

absl::StatusOr<std::string> FakeSystem::ReadFile(const std::string& path) {
  auto it = files.find(path);
  if (it == files.end()) {
    return absl::NotFoundError(absl::StrCat("open ", path, ": not scripted"));
  }
  return it->second;
}

// A path exists when it is a scripted file, executable or writable path,
// or a directory above one of them.
bool FakeSystem::Exists(const std::string& path) {
  auto below = [&](const std::string& p) {
    return p == path || absl::StartsWith(p, absl::StrCat(path, "/"));
  };
  for (const auto& [p, unused] : files) {
    if (below(p)) return true;
  }
  for (const std::string& p : executables) {
    if (below(p)) return true;
  }
  for (const std::string& p : writable) {
    if (below(p)) return true;
  }
  return false;
}

bool FakeSystem::IsExecutable(const std::string& path) {
  return executables.count(path) > 0;
}

bool FakeSystem::IsWritable(const std::string& path) {
  return writable.count(path) > 0;
}

std::optional<std::string> FakeSystem::GetEnv(const std::string& name) {
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<uint32_t> FakeSystem::LocalVsockCid() {
  ++vsock_queries;
  return vsock_cid;
}

bool FakeSystem::CpuidHypervisor() { return cpuid_hypervisor; }

absl::Status FakeSystem::CountWrite(const std::string& path) {
  if (++writes_ == fail_write_number) {
    return absl::PermissionDeniedError(absl::StrCat("write ", path));
  }
  return absl::OkStatus();
}

absl::Status FakeSystem::WriteFileAtomic(const std::string& path,
                                         const std::string& content) {
  if (absl::Status s = CountWrite(path); !s.ok()) return s;
  written[path] = content;
  return absl::OkStatus();
}

absl::Status FakeSystem::Symlink(const std::string& target,
                                 const std::string& path) {
  if (absl::Status s = CountWrite(path); !s.ok()) return s;
  written[path] = absl::StrCat("-> ", target);
  return absl::OkStatus();
}

absl::Status FakeSystem::MakeDirs(const std::string&) {
  return absl::OkStatus();
}

}  // namespace sshproxy::generator
