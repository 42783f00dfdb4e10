// Copyright 2026 The ssh-socket-proxy Authors.

#include "generator/system.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "absl/strings/str_cat.h"

namespace sshproxy::generator {
namespace {

absl::Status WriteAll(int fd, const std::string& content,
                      const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("write ", path));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PosixSystem::ReadFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would wait for a writer.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a regular file"));
  }
  std::string data;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return absl::ErrnoToStatus(err, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return data;
}

bool PosixSystem::IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> PosixSystem::ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return names;
  while (const dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  return names;
}

absl::StatusOr<std::string> PosixSystem::ReadLink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("readlink ", path));
  return std::string(buf, static_cast<size_t>(n));
}

bool PosixSystem::Exists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

bool PosixSystem::IsExecutable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

bool PosixSystem::IsWritable(const std::string& path) {
  return access(path.c_str(), W_OK) == 0;
}

std::optional<std::string> PosixSystem::GetEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<uint32_t> PosixSystem::LocalVsockCid() {
  int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, "open /dev/vsock");
  unsigned int cid = 0;
  int rc = ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid);
  int err = errno;
  close(fd);
  if (rc < 0) {
    return absl::ErrnoToStatus(err, "ioctl IOCTL_VM_SOCKETS_GET_LOCAL_CID");
  }
  return cid;
}

bool PosixSystem::CpuidHypervisor() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & (1u << 31)) != 0;
#else
  return false;
#endif
}

absl::Status PosixSystem::WriteFileAtomic(const std::string& path,
                                          const std::string& content) {
  std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
  int fd = mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("create ", temp));
  absl::Status status = WriteAll(fd, content, temp);
  if (status.ok() && fchmod(fd, 0644) != 0) {
    status = absl::ErrnoToStatus(errno, absl::StrCat("chmod ", temp));
  }
  if (close(fd) != 0 && status.ok()) {
    status = absl::ErrnoToStatus(errno, absl::StrCat("close ", temp));
  }
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = absl::ErrnoToStatus(errno, absl::StrCat("rename to ", path));
  }
  if (!status.ok()) unlink(temp.c_str());
  return status;
}

absl::Status PosixSystem::Symlink(const std::string& target,
                                  const std::string& path) {
  if (symlink(target.c_str(), path.c_str()) == 0) return absl::OkStatus();
  if (errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("symlink ", path));
  }
  // Replace atomically: a new link beside it, then rename over.
  std::string temp = absl::StrCat(path, ".tmp");
  unlink(temp.c_str());
  if (symlink(target.c_str(), temp.c_str()) != 0 ||
      rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(temp.c_str());
    return absl::ErrnoToStatus(err, absl::StrCat("symlink ", path));
  }
  return absl::OkStatus();
}

absl::Status PosixSystem::MakeDirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') continue;
    std::string prefix = path.substr(0, i);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::ErrnoToStatus(errno, absl::StrCat("mkdir ", prefix));
    }
  }
  return absl::OkStatus();
}

}  // namespace sshproxy::generator
