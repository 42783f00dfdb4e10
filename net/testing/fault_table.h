// Copyright 2026 The ssh-socket-proxy Authors.
//
// Fault tables: each row scripts the system calls of one failure (or
// success) up to the end, and RunTable checks the outcome's code, that its
// message holds the row's words on one line, that every scripted call was
// made and that no descriptor is left open. FakeSyscalls aborts on any call
// not scripted, so a retry loop cannot spin.

#ifndef SSHPROXY_NET_TESTING_FAULT_TABLE_H_
#define SSHPROXY_NET_TESTING_FAULT_TABLE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/fake_syscalls.h"

namespace sshproxy::net {

struct Row {
  const char* name;
  void (*script)(FakeSyscalls&);
  absl::StatusCode code;
  const char* words;  // in the message; nullptr when OK
};

// Runs `call` on each row's script and checks the outcome, that every
// scripted call was made and that no descriptor is left open.
template <size_t N>
void RunTable(const Row (&rows)[N],
              const std::function<absl::Status(FakeSyscalls&)>& call) {
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    FakeSyscalls sys;
    row.script(sys);
    absl::Status s = call(sys);
    EXPECT_EQ(s.code(), row.code) << s;
    if (row.words != nullptr) {
      EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr(row.words));
      EXPECT_EQ(std::string(s.message()).find('\n'), std::string::npos);
    }
    EXPECT_EQ(sys.pending(), 0u);
    EXPECT_TRUE(sys.open_fds().empty());
  }
}

}  // namespace sshproxy::net

#endif  // SSHPROXY_NET_TESTING_FAULT_TABLE_H_
