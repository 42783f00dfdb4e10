// Copyright 2026 The ssh-socket-proxy Authors.
//
// The scripted system a generator fuzz input describes, shared by the fuzz
// target (fuzz/generator_input_fuzz_test.cc) and by write_unit_sets, which
// renders the same inputs for `systemd-analyze verify`.
//
// Input: one mode byte, then the command line, "\n--\n", the ssh.listen
// credential, and optionally "\n--\n" sshd's directory below /opt/ (the
// only PATH entry) and "\n--\n" the credential directory below /run/fuzz/
// ($CREDENTIALS_DIRECTORY); an empty or missing one keeps the default. Mode bits: 1 container (else a
// VM), 2 a virtio-vsock transport, 4 /etc/ssh/sshd_not_to_be_run, 8
// systemd 257's own generator.
//
//   FuzzInput in = ParseFuzzInput(data);
//   FakeSystem system = ScriptedSystem(in, "/usr/lib/.../ssh-socket-proxy-generator");

#ifndef SSHPROXY_GENERATOR_FUZZ_INPUT_H_
#define SSHPROXY_GENERATOR_FUZZ_INPUT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "generator/fake_system.h"

namespace sshproxy::generator {

struct FuzzInput {
  bool container = false;
  bool transport = false;
  bool sshd_off = false;
  bool systemd257 = false;
  std::string cmdline;
  std::string credential;
  std::string sshd_dir;        // below /opt/; "": /usr/sbin
  std::string credential_dir;  // below /run/fuzz/; "": a hostile default
};

// DATA must hold at least the mode byte.
FuzzInput ParseFuzzInput(absl::string_view data);

// A system with sshd, IPv6, the ssh.listen credential and a root key
// credential whose directory name is hostile, as IN says. SELF is the
// generator's own path (written into the units that run it again).
FakeSystem ScriptedSystem(const FuzzInput& in, const std::string& self);

}  // namespace sshproxy::generator

#endif  // SSHPROXY_GENERATOR_FUZZ_INPUT_H_
