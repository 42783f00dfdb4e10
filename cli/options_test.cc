// Copyright 2026 The ssh-socket-proxy Authors.

#include "cli/options.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sshproxy::cli {
namespace {

absl::StatusOr<Options> Parse(std::vector<std::string> args,
                              const char* local_socket = nullptr) {
  Environment env;
  env.local_socket = local_socket;
  return ParseOptions(args, env);
}

TEST(OptionsTest, PositionalArguments) {
  absl::StatusOr<Options> o = Parse({"unix/run/vm.sock"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "unix/run/vm.sock");
  EXPECT_EQ(o->port, "22");
  EXPECT_EQ(o->action, Options::Action::kConnect);
  EXPECT_EQ(o->local_socket, "/run/ssh-unix-local/socket");
  // A listener that never accepts must not hang ssh: 10 s unless told.
  EXPECT_EQ(o->connect_timeout, absl::Seconds(10));
  EXPECT_EQ(o->wait, absl::ZeroDuration());

  o = Parse({"vsock/3", "2222"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->port, "2222");
}

TEST(OptionsTest, WaitZeroMeansNoWaiting) {
  for (const char* zero : {"--wait=0", "--wait=0s", "--wait=0ms"}) {
    absl::StatusOr<Options> o = Parse({"--wait=5s", zero, "x"});
    ASSERT_TRUE(o.ok()) << zero << ": " << o.status();
    EXPECT_EQ(o->wait, absl::ZeroDuration()) << zero;
  }
}

TEST(OptionsTest, OriginalHostRestoresCaseOnly) {
  struct Case {
    std::vector<std::string> args;
    const char* want;
  } cases[] = {
      // ssh lowered %h; %n has the case the user typed.
      {{"unix/run/vm.sock", "22", "unix/run/VM.sock"}, "unix/run/VM.sock"},
      // A HostName alias: %n is the alias, %h the real target.
      {{"unix/run/vm.sock", "22", "myvm"}, "unix/run/vm.sock"},
      {{"unix/run/vm.sock", "22", "unix/run/vm.sockX"}, "unix/run/vm.sock"},
      {{"vsock%3", "22", "VSOCK%3"}, "VSOCK%3"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Options> o = Parse(c.args);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->host, c.want);
  }
}

TEST(OptionsTest, Flags) {
  absl::StatusOr<Options> o =
      Parse({"-v", "--dry-run", "--connect-timeout=1.5s", "--local-socket",
             "/tmp/l.sock", ".host"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->verbose);
  EXPECT_EQ(o->action, Options::Action::kDryRun);
  EXPECT_EQ(o->connect_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(o->local_socket, "/tmp/l.sock");

  o = Parse({"--connect-timeout", "10", "-n", "x"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->connect_timeout, absl::Seconds(10));

  o = Parse({"--", "-weird-host"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->host, "-weird-host");

  o = Parse({"--mode=relay", "--wait", "60s", "--mux-timeout=250ms", "x"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, Options::Mode::kRelay);
  EXPECT_EQ(o->wait, absl::Seconds(60));
  EXPECT_EQ(o->mux_timeout, absl::Milliseconds(250));
  EXPECT_EQ(Parse({"x"})->mode, Options::Mode::kAuto);
  EXPECT_EQ(Parse({"x"})->wait, absl::ZeroDuration());
  EXPECT_EQ(Parse({"x"})->mux_timeout, absl::Seconds(5));
  EXPECT_EQ(Parse({"--mode", "fdpass", "x"})->mode, Options::Mode::kFdpass);

  EXPECT_EQ(Parse({"--help"})->action, Options::Action::kHelp);
  EXPECT_EQ(Parse({"-h", "--bogus-after-help-is-still-an-error"}).ok(), false);
  EXPECT_EQ(Parse({"-V"})->action, Options::Action::kVersion);
}

// Plain numbers are seconds for every duration option, decimals included.
TEST(OptionsTest, DurationsTakeTheSameFormsEverywhere) {
  const std::pair<const char*, absl::Duration> forms[] = {
      {"0.5", absl::Milliseconds(500)}, {"2", absl::Seconds(2)},
      {"1.25", absl::Milliseconds(1250)}, {"10.0", absl::Seconds(10)},
      {"1.5s", absl::Milliseconds(1500)}, {"250ms", absl::Milliseconds(250)},
      {"2m", absl::Minutes(2)},
  };
  for (const auto& [text, want] : forms) {
    for (const char* flag : {"--wait", "--connect-timeout", "--mux-timeout"}) {
      absl::StatusOr<Options> o = Parse({absl::StrCat(flag, "=", text), "x"});
      ASSERT_TRUE(o.ok()) << flag << "=" << text << ": " << o.status();
      const absl::Duration got = std::string(flag) == "--wait" ? o->wait
                                 : std::string(flag) == "--mux-timeout"
                                     ? o->mux_timeout
                                     : o->connect_timeout;
      EXPECT_EQ(got, want) << flag << "=" << text;
    }
  }
}

TEST(OptionsTest, LocalSocketFromEnvironment) {
  EXPECT_EQ(Parse({".host"}, "/tmp/env.sock")->local_socket, "/tmp/env.sock");
  EXPECT_EQ(Parse({".host"}, "")->local_socket, "/run/ssh-unix-local/socket");
  EXPECT_EQ(Parse({"--local-socket=/tmp/flag.sock", ".host"}, "/tmp/env.sock")
                ->local_socket,
            "/tmp/flag.sock");
}

TEST(OptionsTest, RuntimeDirectories) {
  Environment env;
  absl::StatusOr<Options> o = ParseOptions({"machine/x"}, env);
  EXPECT_EQ(o->user_runtime_dir, "");
  EXPECT_EQ(o->system_runtime_dir, "/run");
  env.xdg_runtime_dir = "/run/user/1000";
  env.runtime_dir = "/tmp/t/run";
  o = ParseOptions({"machine/x"}, env);
  EXPECT_EQ(o->user_runtime_dir, "/run/user/1000");
  EXPECT_EQ(o->system_runtime_dir, "/tmp/t/run");
}

TEST(OptionsTest, LibvirtUri) {
  Environment env;
  EXPECT_EQ(ParseOptions({"qemu/web"}, env)->libvirt_uri, "");
  env.libvirt_uri = "";
  EXPECT_EQ(ParseOptions({"qemu/web"}, env)->libvirt_uri, "");
  env.libvirt_uri = "test:///tmp/node.xml";
  EXPECT_EQ(ParseOptions({"qemu/web"}, env)->libvirt_uri, "test:///tmp/node.xml");
}

TEST(OptionsTest, Rejects) {
  struct Case {
    std::vector<std::string> args;
    const char* words;
  } cases[] = {
      {{}, "missing HOST"},
      {{"-v"}, "missing HOST"},
      {{"a", "b", "c", "d"}, "unexpected argument \"d\""},
      {{"--bogus", "x"}, "unknown option \"--bogus\""},
      {{"-x", "x"}, "unknown option \"-x\""},
      {{"--verbose=yes", "x"}, "--verbose takes no value"},
      {{"x", "--connect-timeout"}, "--connect-timeout needs a value"},
      {{"--connect-timeout=0", "x"}, "must be positive"},
      {{"--connect-timeout=-1s", "x"}, "must be positive"},
      {{"--connect-timeout=soon", "x"}, "not a duration"},
      {{"--connect-timeout=inf", "x"}, "not a duration"},
      {{"--connect-timeout=99999999999999999999", "x"}, "too large"},
      {{"--local-socket=", ".host"}, "--local-socket needs a path"},
      {{"--mode=pipe", "x"}, "--mode \"pipe\": expected auto, fdpass or relay"},
      {{"--wait=forever", "x"}, "--wait \"forever\": not a duration"},
      {{"--mux-timeout=0", "x"}, "must be positive"},
      {{"--wait=-1s", "x"}, "--wait \"-1s\": must not be negative"},
      {{"--wait=.5", "x"}, "--wait \".5\": not a duration"},
      {{"--wait=1.", "x"}, "--wait \"1.\": not a duration"},
      {{"--wait=1.2.3", "x"}, "not a duration"},
      {{"--wait= 1", "x"}, "not a duration"},
      {{"--mux-timeout=0.0", "x"}, "must be positive"},
      {{"--connect-timeout=99999999999999999999.5", "x"}, "too large"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Options> o = Parse(c.args);
    ASSERT_FALSE(o.ok()) << c.words;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(c.words), absl::string_view::npos)
        << o.status();
    EXPECT_NE(o.status().message().find("--help"), absl::string_view::npos);
  }
}

}  // namespace
}  // namespace sshproxy::cli
