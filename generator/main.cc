// Copyright 2026 The ssh-socket-proxy Authors.
//
// ssh-socket-proxy-generator NORMAL-DIR [EARLY-DIR LATE-DIR]: the systemd
// generator; see generator/generator.h and ssh-socket-proxy-generator(8).
// systemd runs it at boot and at every daemon-reload and sends stderr to the
// journal. Exit status: 0 (also for bad switches, which are logged and
// skipped), 1 when a unit could not be written, 2 for a bad command line.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "generator/generator.h"
#include "generator/system.h"

namespace {

// systemd starts generators with stderr on /dev/null. Like its own
// generators, log to the kernel log then (journald imports it; "<4>" is
// warning, "<6>" info) or, in a container that has none, to the console.
// Run by hand, stderr is where the lines go.
int OpenLog(bool* kmsg) {
  struct stat st;
  bool devnull = fstat(STDERR_FILENO, &st) != 0 ||
                 (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
  *kmsg = false;
  if (!devnull) return STDERR_FILENO;
  int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) {
    *kmsg = true;
    return fd;
  }
  return open("/dev/console", O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

void Log(int fd, bool kmsg, const std::string& message) {
  if (fd < 0) return;
  std::string prefix;
  if (kmsg) prefix = absl::StartsWith(message, "ignoring") ? "<4>" : "<6>";
  std::string line =
      absl::StrCat(prefix, "ssh-socket-proxy-generator: ", message, "\n");
  // One write per line: the kernel log takes each write as one record.
  (void)!write(fd, line.data(), line.size());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sshproxy::generator;
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr,
                 "usage: ssh-socket-proxy-generator NORMAL-DIR [EARLY-DIR "
                 "LATE-DIR] (systemd runs it; see "
                 "ssh-socket-proxy-generator(8))\n");
    return 2;
  }
  bool kmsg = false;
  int log = OpenLog(&kmsg);
  PosixSystem system;
  Plan plan = Decide(Gather(system));
  for (const std::string& m : plan.messages) Log(log, kmsg, m);
  absl::Status status = WriteUnits(system, argv[1], Render(plan));
  if (!status.ok()) {
    Log(log, kmsg, std::string(status.message()));
    return 1;
  }
  return 0;
}
