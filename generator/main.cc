// Copyright 2026 The ssh-socket-proxy Authors.
//
// ssh-socket-proxy-generator NORMAL-DIR [EARLY-DIR LATE-DIR]: the systemd
// generator; see generator/generator.h and ssh-socket-proxy-generator(8).
// systemd runs it at boot and at every daemon-reload and sends stderr to the
// journal. Exit status: 0 (also for bad switches, which are logged and
// skipped), 1 when a unit could not be written, 2 for a bad command line.
//
// Two more modes, run by the units it writes:
//   --vsock-recheck DIR  decide again; 0 iff the vsock units were written
//                        now (ExecCondition=: 1 means "nothing to do")
//   --vsock-issue        write the console hint for this VM's CID

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "generator/generator.h"
#include "generator/system.h"

namespace {

using sshproxy::generator::Level;
using sshproxy::generator::Message;

struct LogSink {
  int fd = -1;
  bool levels = false;  // "<N>" prefixes are read as the line's level
};

// systemd starts generators with stderr on /dev/null. Like its own
// generators, log to the kernel log then (journald imports it) or, in a
// container that has none, to the console. From a service, stderr is the
// journal ($JOURNAL_STREAM), which reads "<N>" prefixes too. Run by hand,
// stderr is where the lines go.
LogSink OpenLog() {
  struct stat st;
  bool devnull = fstat(STDERR_FILENO, &st) != 0 ||
                 (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
  if (!devnull) {
    return {STDERR_FILENO, std::getenv("JOURNAL_STREAM") != nullptr};
  }
  int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) return {fd, true};
  return {open("/dev/console", O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK),
          false};
}

void Log(const LogSink& sink, const Message& message) {
  if (sink.fd < 0) return;
  std::string prefix;
  if (sink.levels) prefix = message.level == Level::kWarning ? "<4>" : "<6>";
  std::string line =
      absl::StrCat(prefix, "ssh-socket-proxy-generator: ", message.text, "\n");
  // One write per line: the kernel log takes each write as one record.
  (void)!write(sink.fd, line.data(), line.size());
}

int Usage() {
  std::fprintf(stderr,
               "usage: ssh-socket-proxy-generator NORMAL-DIR [EARLY-DIR "
               "LATE-DIR] (systemd runs it; see "
               "ssh-socket-proxy-generator(8))\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sshproxy::generator;
  const bool recheck =
      argc == 3 && std::strcmp(argv[1], "--vsock-recheck") == 0;
  const bool issue = argc == 2 && std::strcmp(argv[1], "--vsock-issue") == 0;
  if (!recheck && !issue && ((argc != 2 && argc != 4) || argv[1][0] == '-')) {
    return Usage();
  }
  LogSink log = OpenLog();
  PosixSystem system;
  std::vector<Message> messages;
  if (recheck) {
    bool bound = RecheckVsock(system, argv[2], messages);
    for (const Message& m : messages) Log(log, m);
    return bound ? 0 : 1;
  }
  if (issue) {
    absl::Status s = WriteIssue(system, messages);
    for (const Message& m : messages) Log(log, m);
    if (!s.ok()) Log(log, {Level::kWarning, std::string(s.message())});
    return 0;  // a missing hint never fails a unit
  }
  Plan plan = Decide(Gather(system));
  for (const Message& m : plan.messages) Log(log, m);
  absl::Status status = WriteUnits(system, argv[1], Render(plan));
  if (!status.ok()) {
    Log(log, {Level::kWarning, std::string(status.message())});
    return 1;
  }
  return 0;
}
