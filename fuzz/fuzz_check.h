// Copyright 2026 The ssh-socket-proxy Authors.
//
// FUZZ_CHECK(cond, ...): a property of a fuzz target. On failure prints the
// condition and a printf-style explanation, then aborts, which libFuzzer
// records as a crash (and the replay test as a failure).

#ifndef SSHPROXY_FUZZ_FUZZ_CHECK_H_
#define SSHPROXY_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                              \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: ", __FILE__,     \
                   __LINE__, #cond);                                       \
      std::fprintf(stderr, __VA_ARGS__);                                   \
      std::fputc('\n', stderr);                                            \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

#endif  // SSHPROXY_FUZZ_FUZZ_CHECK_H_
