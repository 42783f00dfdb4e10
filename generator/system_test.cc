// Copyright 2026 The ssh-socket-proxy Authors.
//
// PosixSystem on a scratch directory: the file half of the interface the
// generator reads and writes through. (The /dev/vsock ioctl and CPUID are
// never called from tests: the decision tests script them.)

#include "generator/system.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sshproxy::generator {
namespace {

class PosixSystemTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                       "/system.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }

  std::vector<std::string> List(const std::string& d) {
    std::vector<std::string> names;
    DIR* dp = opendir(d.c_str());
    if (dp == nullptr) return names;
    while (dirent* e = readdir(dp)) {
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    }
    closedir(dp);
    return names;
  }

  PosixSystem system_;
  std::string dir_;
};

TEST_F(PosixSystemTest, ReadFile) {
  EXPECT_EQ(system_.ReadFile(dir_ + "/missing").status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir_ + "/f") << std::string(10000, 'x') << "end";
  absl::StatusOr<std::string> data = system_.ReadFile(dir_ + "/f");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->size(), 10003u);
  EXPECT_EQ(system_.ReadFile(dir_).status().code(),  // a directory
            absl::StatusCode::kFailedPrecondition);
}

// A credential that is a FIFO would block open(2) until a writer came:
// refused at once instead (the test would hang on the old code).
TEST_F(PosixSystemTest, ReadFileRefusesFifosAndDevicesWithoutWaiting) {
  const std::string fifo = dir_ + "/ssh.listen";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(system_.ReadFile(fifo).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(system_.IsRegularFile(fifo));
  EXPECT_EQ(system_.ReadFile("/dev/zero").status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::ofstream(dir_ + "/f") << "x";
  EXPECT_TRUE(system_.IsRegularFile(dir_ + "/f"));
}

// No size cap: the end of a long command line is where a
// systemd.ssh_auto=no may be.
TEST_F(PosixSystemTest, ReadFileReadsLongFilesWhole) {
  const std::string big = std::string(3 << 20, 'a') + " systemd.ssh_auto=no";
  std::ofstream(dir_ + "/cmdline") << big;
  absl::StatusOr<std::string> data = system_.ReadFile(dir_ + "/cmdline");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, big);
}

TEST_F(PosixSystemTest, ListDirAndReadLink) {
  ASSERT_EQ(symlink("../virtio3", (dir_ + "/virtio3").c_str()), 0);
  EXPECT_EQ(system_.ListDir(dir_), std::vector<std::string>{"virtio3"});
  EXPECT_TRUE(system_.ListDir(dir_ + "/missing").empty());
  EXPECT_EQ(*system_.ReadLink(dir_ + "/virtio3"), "../virtio3");
  EXPECT_FALSE(system_.ReadLink(dir_).ok());
}

TEST_F(PosixSystemTest, WriteFileAtomicCreatesAndReplacesWhole) {
  const std::string path = dir_ + "/unit.socket";
  ASSERT_TRUE(system_.WriteFileAtomic(path, "first\n").ok());
  ASSERT_TRUE(system_.WriteFileAtomic(path, "second\n").ok());
  EXPECT_EQ(*system_.ReadFile(path), "second\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  // No temporary file is left beside it.
  EXPECT_EQ(List(dir_), std::vector<std::string>{"unit.socket"});
  EXPECT_EQ(system_.WriteFileAtomic(dir_ + "/no/such/dir/x", "").code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PosixSystemTest, SymlinkCreatesAndReplaces) {
  const std::string link = dir_ + "/a.socket";
  ASSERT_TRUE(system_.Symlink("../one", link).ok());
  ASSERT_TRUE(system_.Symlink("../two", link).ok());
  char target[64] = {};
  ASSERT_GT(readlink(link.c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "../two");
  EXPECT_EQ(List(dir_), std::vector<std::string>{"a.socket"});
}

TEST_F(PosixSystemTest, MakeDirsAndProbes) {
  const std::string nested = dir_ + "/a/b/sockets.target.wants";
  ASSERT_TRUE(system_.MakeDirs(nested).ok());
  ASSERT_TRUE(system_.MakeDirs(nested).ok());  // exists: fine
  EXPECT_TRUE(system_.Exists(nested));
  EXPECT_TRUE(system_.IsWritable(nested));
  EXPECT_FALSE(system_.Exists(dir_ + "/nope"));
  EXPECT_FALSE(system_.IsWritable(dir_ + "/nope"));
  // Executable means a regular file with x, not a directory.
  EXPECT_FALSE(system_.IsExecutable(nested));
  const std::string tool = dir_ + "/sshd";
  std::ofstream(tool) << "#!/bin/sh\n";
  EXPECT_FALSE(system_.IsExecutable(tool));
  ASSERT_EQ(chmod(tool.c_str(), 0755), 0);
  EXPECT_TRUE(system_.IsExecutable(tool));
}

TEST_F(PosixSystemTest, GetEnv) {
  setenv("SSP_GENERATOR_TEST_VAR", "v", 1);
  EXPECT_EQ(system_.GetEnv("SSP_GENERATOR_TEST_VAR"), "v");
  EXPECT_EQ(system_.GetEnv("SSP_GENERATOR_TEST_UNSET"), std::nullopt);
}

}  // namespace
}  // namespace sshproxy::generator
