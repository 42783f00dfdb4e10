// Copyright 2026 The ssh-socket-proxy Authors.
//
// no_vsock COMMAND [ARG...]: runs COMMAND under a seccomp filter in which
// socket(AF_VSOCK, ...) fails with EACCES, for it and every process it starts.
// The machines this project is tested on are VMs whose vsock peer is
// infrastructure; every end-to-end test runs under this guard so that no
// test can ever reach it, whatever the code under test does.
//
// no_vsock --self-test: installs the filter, checks that socket(AF_VSOCK)
// fails with EACCES and that socket(AF_UNIX) still works, and exits 0 iff so.

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

#if defined(__x86_64__)
constexpr unsigned kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kArch = AUDIT_ARCH_AARCH64;
#else
#error "no_vsock: add this architecture's AUDIT_ARCH"
#endif

bool InstallFilter() {
  sock_filter filter[] = {
      // Another ABI (x32, i386) could name socket() differently: kill it.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      // Syscall number -1 runs nothing. strace's `-e inject` skips a call by
      // rewriting its number to -1, and seccomp checks the rewritten call
      // again, so -1 must pass (the x32 rule below would kill it).
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#if defined(__x86_64__)
      // x32 syscalls share AUDIT_ARCH_X86_64 with bit 30 set.
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3),
      // socket(domain, ...): the low 32 bits of the first argument.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])),
                     filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    std::perror("no_vsock: PR_SET_NO_NEW_PRIVS");
    return false;
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    std::perror("no_vsock: seccomp");
    return false;
  }
  return true;
}

int SelfTest() {
  int v = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (v >= 0 || errno != EACCES) {
    std::fprintf(stderr, "no_vsock: socket(AF_VSOCK) was not refused\n");
    if (v >= 0) close(v);
    return 1;
  }
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  if (u < 0) {
    std::perror("no_vsock: socket(AF_UNIX)");
    return 1;
  }
  close(u);
  std::fprintf(stderr, "no_vsock: AF_VSOCK refused, AF_UNIX allowed\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: no_vsock COMMAND [ARG...] | --self-test\n");
    return 2;
  }
  if (!InstallFilter()) return 1;
  if (std::strcmp(argv[1], "--self-test") == 0) return SelfTest();
  execvp(argv[1], argv + 1);
  std::fprintf(stderr, "no_vsock: exec %s: %s\n", argv[1], std::strerror(errno));
  return 127;
}
