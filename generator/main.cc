// Copyright 2026 The ssh-socket-proxy Authors.
//
// ssh-socket-proxy-generator NORMAL-DIR [EARLY-DIR LATE-DIR]: the systemd
// generator; see generator/generator.h and ssh-socket-proxy-generator(8).
// systemd runs it at boot and at every daemon-reload and sends stderr to the
// journal. Exit status: 0 (also for bad switches, which are logged and
// skipped), 1 when a unit could not be written, 2 for a bad command line.

#include <cstdio>
#include <string>

#include "generator/generator.h"
#include "generator/system.h"

int main(int argc, char** argv) {
  using namespace sshproxy::generator;
  if (argc != 2 && argc != 4) {
    std::fprintf(stderr,
                 "usage: ssh-socket-proxy-generator NORMAL-DIR [EARLY-DIR "
                 "LATE-DIR] (systemd runs it; see "
                 "ssh-socket-proxy-generator(8))\n");
    return 2;
  }
  PosixSystem system;
  Plan plan = Decide(Gather(system));
  for (const std::string& m : plan.messages) {
    std::fprintf(stderr, "ssh-socket-proxy-generator: %s\n", m.c_str());
  }
  absl::Status status = WriteUnits(system, argv[1], Render(plan));
  if (!status.ok()) {
    std::fprintf(stderr, "ssh-socket-proxy-generator: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
