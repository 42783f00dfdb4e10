// Copyright 2026 The ssh-socket-proxy Authors.

#include "generator/fake_system.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sshproxy::generator {

absl::StatusOr<std::string> FakeSystem::ReadFile(const std::string& path) {
  if (auto link = symlinks.find(path); link != symlinks.end()) {
    if (link->second == "/dev/null") {
      return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
    }
    return ReadFile(link->second);
  }
  if (specials.count(path) || (Exists(path) && !files.count(path) && !executables.count(path))) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  auto it = files.find(path);
  if (it == files.end()) {
    return absl::NotFoundError(absl::StrCat("open ", path, ": not scripted"));
  }
  return it->second;
}

bool FakeSystem::IsRegularFile(const std::string& path) { return ReadFile(path).ok(); }

std::vector<std::string> FakeSystem::AllPaths() const {
  std::vector<std::string> all(specials.begin(), specials.end());
  for (const auto& [p, unused] : files) all.push_back(p);
  for (const auto& [p, unused] : symlinks) all.push_back(p);
  all.insert(all.end(), executables.begin(), executables.end());
  all.insert(all.end(), writable.begin(), writable.end());
  return all;
}

// A path exists when it is scripted (a file, special, symlink, executable
// or writable path) or a directory above one.
bool FakeSystem::Exists(const std::string& path) {
  for (const std::string& p : AllPaths()) {
    if (p == path || absl::StartsWith(p, absl::StrCat(path, "/"))) return true;
  }
  return false;
}

std::vector<std::string> FakeSystem::ListDir(const std::string& path) {
  std::set<std::string> names;
  const std::string prefix = absl::StrCat(path, "/");
  for (const std::string& p : AllPaths()) {
    if (!absl::StartsWith(p, prefix)) continue;
    std::string rest = p.substr(prefix.size());
    std::string name = rest.substr(0, rest.find('/'));
    if (!name.empty()) names.insert(name);
  }
  return {names.begin(), names.end()};
}

absl::StatusOr<std::string> FakeSystem::ReadLink(const std::string& path) {
  auto it = symlinks.find(path);
  if (it == symlinks.end()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a symlink"));
  return it->second;
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
  files[path] = content;  // read back as a real file would be
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
