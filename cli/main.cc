// Copyright 2026 The ssh-socket-proxy Authors.
//
// ssh-socket-proxy: see `ssh-socket-proxy --help` and ssh-socket-proxy(1).
// Parses the command line, runs on the real kernel, maps the result to the
// exit code. stdout belongs to ssh: everything printed goes to stderr.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cli/options.h"
#include "cli/run.h"
#include "lookup/process.h"
#include "net/standard_fds.h"

namespace {

void PrintLine(absl::string_view line) {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

void DebugLine(absl::string_view line) {
  std::fprintf(stderr, "ssh-socket-proxy: debug: %.*s\n",
               static_cast<int>(line.size()), line.data());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sshproxy::cli;
  Environment env;
  env.local_socket = std::getenv("SSH_SOCKET_PROXY_LOCAL_SOCKET");
  env.xdg_runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  env.runtime_dir = std::getenv("SSH_SOCKET_PROXY_RUNTIME_DIR");
  env.libvirt_uri = std::getenv("SSH_SOCKET_PROXY_LIBVIRT_URI");
  absl::StatusOr<Options> options =
      ParseOptions(std::vector<std::string>(argv + 1, argv + argc), env);
  if (!options.ok()) {
    PrintLine(ErrorLine(options.status()));
    return kExitUsage;
  }
  switch (options->action) {
    case Options::Action::kHelp:
      std::fputs(UsageText().c_str(), stderr);
      return kExitOk;
    case Options::Action::kVersion:
      PrintLine(VersionText());
      return kExitOk;
    default:
      break;
  }
  // The relay writes to pipes and sockets whose readers may go away; that
  // is an EPIPE to handle, not a reason to die.
  signal(SIGPIPE, SIG_IGN);
  // An ignored SIGCHLD is inherited across exec, and with it the kernel reaps
  // children itself: the qemu/ helper's exit status would be lost (ECHILD).
  signal(SIGCHLD, SIG_DFL);
  sshproxy::lookup::PosixProcessSyscalls sys;
  // Before anything opens a descriptor: none may land on 0, 1 or 2.
  absl::StatusOr<sshproxy::net::ClosedStandardFds> closed =
      sshproxy::net::FillClosedStandardFds(sys);
  if (!closed.ok()) {
    PrintLine(ErrorLine(closed.status()));
    return kExitFailure;
  }
  Io io;
  if (closed->in) io.in = -1;
  if (closed->out) io.out = -1;
  io.print = PrintLine;
  if (options->verbose) io.debug = DebugLine;
  absl::Status status = Run(sys, *options, io);
  if (!status.ok()) PrintLine(ErrorLine(status));
  return ExitCode(status);
}
