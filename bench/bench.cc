// Copyright 2026 The ssh-socket-proxy Authors.
//
// The benchmark harness (ci/bench.sh runs it). Two measurements, each against
// the programs a user would pick instead, interleaved run by run:
//
//   bench latency RUNS WARMUP SOCKET_DIR PROGRAM...
//     What ssh does with ProxyUseFdpass: a socketpair as the child's stdin
//     and stdout, spawn, recvmsg until the descriptor arrives, reap. A server
//     on an AF_UNIX socket sends one byte on accept; the time measured is
//     spawn -> that byte read, through the received descriptor for
//     fd-passers and through the child's stdout for relays (socat, nc),
//     which cannot pass a descriptor.
//
//   bench rtt ROUNDS WARMUP unix|tcp alone|together SOCKET_DIR PROGRAM...
//     Interactive latency: sessions of each program and of "direct" (the
//     harness on the socket itself) send one byte and wait for it to come
//     back from an echo server (a process of its own) on an AF_UNIX socket
//     (SOCKET_DIR/rtt.sock) or on 127.0.0.1 (tcp: {} stands for the port).
//     together: one session per program, all open at once, rounds
//     interleaved; alone: one session at a time, programs taking turns
//     block by block. Programs get pipes, as ssh without ProxyUseFdpass
//     gives them. Medians, p10/p90, and the spread of block medians.
//
//   bench cost ROUNDS SOCKET_DIR PROGRAM...
//     What one round trip costs each program (a session alone, AF_UNIX):
//     CPU time, voluntary and involuntary context switches, migrations to
//     another CPU, per round trip (a session of ROUNDS minus one of none).
//
//   bench relay BYTES REPS SOCKET_DIR PROGRAM...
//     BYTES through each relay, REPS times (medians reported), up (a pipe into its stdin, an AF_UNIX sink
//     behind it) and down (an AF_UNIX source, its stdout into a pipe),
//     against "direct": the harness on the socket itself, which is what fd
//     passing gives.
//
// A PROGRAM is NAME=KIND:COMMAND..., KIND fdpass or stream, with {} standing
// for the socket path, e.g. "ours=fdpass:/path/ssh-socket-proxy unix{} 22".
// Output: tab-separated rows on stdout. Peak RSS comes from wait4's rusage,
// taken by bench/rss (see there why).

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "bench: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

struct Program {
  std::string name;
  bool fdpass = false;
  std::vector<std::string> argv;  // "{}" replaced by the socket path
};

Program ParseProgram(const std::string& spec, const std::string& socket) {
  Program p;
  size_t eq = spec.find('='), colon = spec.find(':');
  if (eq == std::string::npos || colon == std::string::npos || colon < eq) {
    std::fprintf(stderr, "bench: bad program spec %s\n", spec.c_str());
    std::exit(2);
  }
  p.name = spec.substr(0, eq);
  p.fdpass = spec.substr(eq + 1, colon - eq - 1) == "fdpass";
  std::string rest = spec.substr(colon + 1), word;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == ' ') {
      if (!word.empty()) {
        size_t at = word.find("{}");
        if (at != std::string::npos) word.replace(at, 2, socket);
        p.argv.push_back(word);
      }
      word.clear();
    } else {
      word += rest[i];
    }
  }
  return p;
}

int Listen(const std::string& path) {
  unlink(path.c_str());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(s, 256) != 0) {
    Die("listen");
  }
  // Relays measured as an unprivileged user (setpriv) connect too.
  if (chmod(path.c_str(), 0777) != 0) Die("chmod");
  return s;
}

// A TCP listener on 127.0.0.1; `*port` gets its port.
int ListenTcp(int* port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(s, 256) != 0 || getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("listen tcp");
  }
  *port = ntohs(addr.sin_port);
  return s;
}

int ConnectTcp(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (s < 0 || connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Die("connect tcp");
  }
  return s;
}

int ConnectTo(const std::string& path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (s < 0 || connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("connect");
  return s;
}

// bench/rss, next to this binary.
const std::string& RssLauncher() {
  static const std::string path = [] {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0) Die("readlink /proc/self/exe");
    std::string self(buf, static_cast<size_t>(n));
    return self.substr(0, self.rfind('/')) + "/rss";
  }();
  return path;
}

// Spawns `p` with `in` and `out` as stdin and stdout; through bench/rss when
// `rss_file` is set, so that its peak RSS lands there.
pid_t Spawn(const Program& p, int in, int out, const std::string& rss_file = "") {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  std::vector<char*> argv;
  if (!rss_file.empty()) {
    argv.push_back(const_cast<char*>(RssLauncher().c_str()));
    argv.push_back(const_cast<char*>(rss_file.c_str()));
  }
  for (const std::string& a : p.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) Die(argv[0]);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

// Reaps `pid`; dies if it failed. `killed_ok`: we sent it SIGTERM (socat
// exits 143 then, others die of the signal).
void Reap(pid_t pid, const std::string& name, bool killed_ok = false,
          rusage* usage = nullptr) {
  int status;
  rusage ignored;
  while (wait4(pid, &status, 0, usage != nullptr ? usage : &ignored) < 0) {
    if (errno != EINTR) Die("waitpid");
  }
  const bool ok = WIFEXITED(status)
                      ? WEXITSTATUS(status) == 0 ||
                            (killed_ok && WEXITSTATUS(status) == 128 + SIGTERM)
                      : killed_ok && WIFSIGNALED(status);
  if (!ok) {
    std::fprintf(stderr, "bench: %s failed (status %d)\n", name.c_str(), status);
    std::exit(1);
  }
}

// What bench/rss wrote: peak RSS in KiB, and page faults into `*faults`.
long ReadRss(const std::string& file, long* faults = nullptr) {
  FILE* f = std::fopen(file.c_str(), "r");
  long kib = -1, n = -1;
  if (f == nullptr || std::fscanf(f, "%ld %ld", &kib, &n) != 2) Die("reading peak RSS");
  std::fclose(f);
  if (faults != nullptr) *faults = n;
  return kib;
}

int ReceiveFd(int channel) {
  char byte;
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(channel, &msg, MSG_CMSG_CLOEXEC) != 1) Die("recvmsg");
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) Die("no descriptor");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

void ReadOne(int fd) {
  char b;
  ssize_t n;
  while ((n = read(fd, &b, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) Die("first byte");
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

int Latency(int runs, int warmup, const std::string& dir,
            const std::vector<std::string>& specs) {
  // The proxy's --mode=auto hands the descriptor over only to a peer named
  // ssh (SO_PEERCRED, /proc/PID/comm): look like ssh, so the default path is
  // what is measured, peer check included.
  if (prctl(PR_SET_NAME, "ssh") != 0) Die("prctl(PR_SET_NAME)");
  const std::string path = dir + "/latency.sock";
  int listener = Listen(path);
  std::atomic<bool> stop{false};
  std::thread server([&] {
    while (!stop) {
      int c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      if (write(c, "S", 1) != 1) {
      }
      close(c);  // the byte stays readable after the close
    }
  });
  std::vector<Program> programs;
  for (const std::string& s : specs) programs.push_back(ParseProgram(s, path));
  std::vector<std::vector<double>> us(programs.size());
  for (int i = 0; i < warmup + runs; ++i) {
    for (size_t p = 0; p < programs.size(); ++p) {
      int sp[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) Die("socketpair");
      const auto t0 = Clock::now();
      pid_t pid = Spawn(programs[p], sp[1], sp[1]);
      close(sp[1]);
      if (programs[p].fdpass) {
        int fd = ReceiveFd(sp[0]);
        ReadOne(fd);
        close(fd);
      } else {
        ReadOne(sp[0]);
      }
      const auto t1 = Clock::now();
      if (!programs[p].fdpass) kill(pid, SIGTERM);  // relays would wait for more
      close(sp[0]);
      Reap(pid, programs[p].name, !programs[p].fdpass);
      if (i >= warmup) {
        us[p].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    }
  }
  // Peak RSS and page faults of each fd-passer through bench/rss (not
  // timed): the largest RSS and the median fault count of a few runs.
  std::vector<long> rss(programs.size(), -1);
  std::vector<double> faults(programs.size(), -1);
  for (size_t p = 0; p < programs.size(); ++p) {
    if (!programs[p].fdpass) continue;
    std::vector<double> counts;
    for (int k = 0; k < 11; ++k) {
      int sp[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) Die("socketpair");
      const std::string file = dir + "/rss." + programs[p].name;
      pid_t pid = Spawn(programs[p], sp[1], sp[1], file);
      close(sp[1]);
      close(ReceiveFd(sp[0]));
      close(sp[0]);
      Reap(pid, programs[p].name);
      long n;
      rss[p] = std::max(rss[p], ReadRss(file, &n));
      counts.push_back(static_cast<double>(n));
    }
    faults[p] = Percentile(counts, 0.5);
  }
  stop = true;
  close(ConnectTo(path));  // wake the server
  server.join();
  close(listener);
  std::printf("program\tkind\tmedian_us\tp10_us\tp90_us\tratio_to_floor\tpeak_rss_kib\t"
              "page_faults\n");
  for (size_t p = 0; p < programs.size(); ++p) {
    // Ratio to the first program (the floor), run by run: both ran back to
    // back, so machine noise cancels more than in a ratio of medians.
    std::vector<double> ratios;
    for (size_t i = 0; i < us[p].size(); ++i) ratios.push_back(us[p][i] / us[0][i]);
    std::printf("%s\t%s\t%.1f\t%.1f\t%.1f\t%.3f\t%s\t%s\n", programs[p].name.c_str(),
                programs[p].fdpass ? "fd received" : "first byte", Percentile(us[p], 0.5),
                Percentile(us[p], 0.1), Percentile(us[p], 0.9), Percentile(ratios, 0.5),
                rss[p] < 0 ? "-" : std::to_string(rss[p]).c_str(),
                faults[p] < 0 ? "-" : std::to_string(static_cast<long>(faults[p])).c_str());
  }
  return 0;
}

// Echoes every byte on `fd` until EOF, then closes it.
void Echo(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || write(fd, buf, static_cast<size_t>(n)) != n) break;
  }
  close(fd);
}

// The echo server: a thread per connection, in a process of its own (as a
// real server is; threads of the harness itself would share its address
// space, which makes a switch between them cheaper than any real hop).
// Serves until killed; returns its pid.
pid_t StartEchoServer(int listener) {
  pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid > 0) return pid;
  std::vector<std::thread> echoes;
  for (;;) {
    int c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0 && errno == EINTR) continue;
    if (c < 0) break;
    echoes.emplace_back(Echo, c);
  }
  for (std::thread& t : echoes) t.join();
  _exit(0);
}

// One byte out on `out`, back on `in`; microseconds.
double RoundTrip(int out, int in) {
  const char c = 'k';
  const auto t0 = Clock::now();
  if (write(out, &c, 1) != 1) Die("round trip: write");
  ReadOne(in);
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

struct Session {
  int to = -1, from = -1;  // the session's ends: where a byte goes, where it comes back
  pid_t pid = -1;          // -1 for direct
};

struct RttSetup {
  bool tcp = false;
  int port = 0;
  std::string path;
  std::vector<Program> programs;  // [0] is direct (no argv)
};

Session Open(const RttSetup& s, size_t i) {
  Session x;
  if (i == 0) {
    x.to = x.from = s.tcp ? ConnectTcp(s.port) : ConnectTo(s.path);
    return x;
  }
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) Die("pipe2");
  x.pid = Spawn(s.programs[i], in[0], out[1]);
  close(in[0]);
  close(out[1]);
  x.to = in[1];
  x.from = out[0];
  return x;
}

// EOF in: the relay passes it on, the echo server closes, the relay ends.
void Close(Session& x) {
  if (x.pid < 0) {
    shutdown(x.to, SHUT_WR);
  } else {
    close(x.to);
  }
  char b;
  while (read(x.from, &b, 1) > 0) {
  }
  close(x.from);
  if (x.pid > 0) Reap(x.pid, "relay");
}

// Round trips in `blocks` blocks, every block with sessions of its own.
// together: one session per program, all open at once, rounds interleaved
// session by session (each waits while the others run theirs, as several
// ssh sessions of one user do). alone: one session at a time, programs
// taking turns (one interactive ssh session). Where the scheduler first puts
// a session's processes tends to stick (a wake-up goes to the wakee's last
// CPU while that one is idle), so each block opens new sessions; and the
// order is shuffled round by round, so that neither a program's place nor
// the program run just before it decides its figure.
void Measure(const RttSetup& s, bool alone, int rounds, int warmup, int blocks,
             std::vector<std::vector<std::vector<double>>>& us) {
  const size_t n = s.programs.size();
  const int per_block = std::max(1, rounds / blocks);
  std::mt19937 shuffle(17);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  for (int b = 0; b < blocks; ++b) {
    std::shuffle(order.begin(), order.end(), shuffle);
    if (alone) {
      for (size_t i : order) {
        Session x = Open(s, i);
        for (int r = 0; r < warmup; ++r) RoundTrip(x.to, x.from);
        for (int r = 0; r < per_block; ++r) us[i][b].push_back(RoundTrip(x.to, x.from));
        Close(x);
      }
      continue;
    }
    std::vector<Session> open(n);
    for (size_t i = 0; i < n; ++i) open[i] = Open(s, i);
    for (int r = 0; r < warmup + per_block; ++r) {
      std::shuffle(order.begin(), order.end(), shuffle);
      for (size_t i : order) {
        const double t = RoundTrip(open[i].to, open[i].from);
        if (r >= warmup) us[i][b].push_back(t);
      }
    }
    for (size_t i = 0; i < n; ++i) Close(open[i]);
  }
}

int Rtt(int rounds, int warmup, const std::string& transport, const std::string& mode,
        const std::string& dir, const std::vector<std::string>& specs) {
  RttSetup s;
  s.tcp = transport == "tcp";
  s.path = dir + "/rtt.sock";
  int listener = s.tcp ? ListenTcp(&s.port) : Listen(s.path);
  s.programs.push_back(Program{"direct", false, {}});
  for (const std::string& spec : specs) {
    s.programs.push_back(ParseProgram(spec, s.tcp ? std::to_string(s.port) : s.path));
  }
  const pid_t echo = StartEchoServer(listener);
  const size_t n = s.programs.size();
  // Blocks of 50 rounds: each is a fresh placement of the sessions' processes.
  const int blocks = std::max(2, rounds / 50);
  std::vector<std::vector<std::vector<double>>> us(n, std::vector<std::vector<double>>(blocks));
  Measure(s, mode == "alone", rounds, warmup, blocks, us);
  kill(echo, SIGTERM);
  Reap(echo, "echo server", /*killed_ok=*/true);
  close(listener);
  std::printf("program\tmedian_us\tp10_us\tp90_us\tblock_median_lo_us\tblock_median_hi_us\t"
              "ratio_to_direct\tratio_lo\tratio_hi\n");
  for (size_t i = 0; i < n; ++i) {
    // Ratio to direct block by block: both ran within the same stretch of
    // time, so background load hits both alike.
    std::vector<double> all, medians, ratios;
    for (int b = 0; b < blocks; ++b) {
      all.insert(all.end(), us[i][b].begin(), us[i][b].end());
      medians.push_back(Percentile(us[i][b], 0.5));
      ratios.push_back(medians.back() / Percentile(us[0][b], 0.5));
    }
    std::sort(medians.begin(), medians.end());
    std::sort(ratios.begin(), ratios.end());
    std::printf("%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.3f\t%.3f\t%.3f\n", s.programs[i].name.c_str(),
                Percentile(all, 0.5), Percentile(all, 0.1), Percentile(all, 0.9),
                medians.front(), medians.back(), Percentile(ratios, 0.5), ratios.front(),
                ratios.back());
  }
  return 0;
}

// se.nr_migrations from /proc/PID/sched: how often the scheduler moved the
// process to another CPU. -1 where the kernel does not say.
long Migrations(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/sched").c_str(), "r");
  if (f == nullptr) return -1;
  char line[256];
  long n = -1;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::strncmp(line, "se.nr_migrations", 16) == 0) {
      const char* colon = std::strchr(line, ':');
      if (colon != nullptr) n = std::atol(colon + 1);
    }
  }
  std::fclose(f);
  return n;
}

struct Cost {
  double cpu_us = 0, voluntary = 0, involuntary = 0, migrations = 0;
};

// One session of `rounds` round trips through `p` alone; what the program
// spent, from wait4's rusage and /proc/PID/sched.
Cost SessionCost(const RttSetup& s, size_t i, int rounds) {
  Session x = Open(s, i);
  for (int r = 0; r < rounds; ++r) RoundTrip(x.to, x.from);
  Cost c;
  c.migrations = static_cast<double>(Migrations(x.pid));
  close(x.to);
  char b;
  while (read(x.from, &b, 1) > 0) {
  }
  close(x.from);
  rusage u;
  Reap(x.pid, s.programs[i].name, false, &u);
  c.cpu_us = static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  c.voluntary = static_cast<double>(u.ru_nvcsw);
  c.involuntary = static_cast<double>(u.ru_nivcsw);
  return c;
}

// What one round trip costs each program: a session of ROUNDS round trips
// minus one of none, so that start-up and exit cancel out. "{rounds}" in a
// program's command stands for the count (a wrapper such as strace -c can
// name its output after it).
int CostOf(int rounds, const std::string& dir, const std::vector<std::string>& specs) {
  RttSetup s;
  s.path = dir + "/cost.sock";
  int listener = Listen(s.path);
  s.programs.push_back(Program{"direct", false, {}});
  for (const std::string& spec : specs) s.programs.push_back(ParseProgram(spec, s.path));
  const pid_t echo = StartEchoServer(listener);
  std::printf("program\trounds\tcpu_us\tvoluntary_switches\tinvoluntary_switches\tmigrations\n");
  for (size_t i = 1; i < s.programs.size(); ++i) {
    Cost per[2];
    for (int k = 0; k < 2; ++k) {
      const int n = k == 0 ? rounds : 0;
      RttSetup one = s;
      for (std::string& a : one.programs[i].argv) {
        const size_t at = a.find("{rounds}");
        if (at != std::string::npos) a.replace(at, 8, std::to_string(n));
      }
      per[k] = SessionCost(one, i, n);
    }
    const double r = rounds;
    std::printf("%s\t%d\t%.2f\t%.3f\t%.3f\t%.3f\n", s.programs[i].name.c_str(), rounds,
                (per[0].cpu_us - per[1].cpu_us) / r, (per[0].voluntary - per[1].voluntary) / r,
                (per[0].involuntary - per[1].involuntary) / r,
                per[0].migrations < 0 ? -1.0 : (per[0].migrations - per[1].migrations) / r);
  }
  kill(echo, SIGTERM);
  Reap(echo, "echo server", /*killed_ok=*/true);
  close(listener);
  return 0;
}

constexpr size_t kBlock = 1 << 20;

// Writes `bytes` from a block of noise to `fd`.
void Produce(int fd, uint64_t bytes) {
  static std::vector<char> block = [] {
    std::vector<char> b(kBlock);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>(i * 2654435761u >> 13);
    return b;
  }();
  while (bytes > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(bytes, kBlock));
    ssize_t w = write(fd, block.data(), n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) Die("produce");
    bytes -= static_cast<uint64_t>(w);
  }
}

// Reads `fd` to EOF; returns the byte count. `*last_byte` is when the
// `expect`th byte arrived: a relay may linger before closing (socat waits
// its -t timeout), which is not transfer time.
uint64_t Consume(int fd, uint64_t expect, Clock::time_point* last_byte) {
  std::vector<char> buf(kBlock);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Die("consume");
    if (n == 0) return total;
    total += static_cast<uint64_t>(n);
    if (total >= expect && last_byte != nullptr) {
      *last_byte = Clock::now();
      last_byte = nullptr;
    }
  }
}

struct Flow {
  double seconds;
  long rss_kib;
};

// A relay that loses or invents bytes has no throughput to report.
void CheckBytes(const char* direction, const Program* p, uint64_t got, uint64_t want) {
  if (got == want) return;
  std::fprintf(stderr, "bench: %s through %s: %llu of %llu bytes\n", direction,
               p ? p->name.c_str() : "direct", static_cast<unsigned long long>(got),
               static_cast<unsigned long long>(want));
  std::exit(1);
}

// Up: pipe -> PROGRAM -> socket -> sink.
Flow Up(const Program* p, const std::string& path, int listener, uint64_t bytes,
        const std::string& rss_file) {
  uint64_t got = 0;
  Clock::time_point end;
  std::thread sink([&] {
    int c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    got = Consume(c, bytes, &end);
    close(c);
  });
  const auto start = Clock::now();
  long rss = 0;
  if (p == nullptr) {
    int s = ConnectTo(path);
    Produce(s, bytes);
    shutdown(s, SHUT_WR);
    sink.join();
    close(s);
  } else {
    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) Die("pipe2");
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_t pid = Spawn(*p, in[0], devnull, rss_file);
    close(in[0]);
    close(devnull);
    Produce(in[1], bytes);
    close(in[1]);
    sink.join();
    Reap(pid, p->name);
    rss = ReadRss(rss_file);
  }
  CheckBytes("up", p, got, bytes);
  return {std::chrono::duration<double>(end - start).count(), rss};
}

// Down: source -> socket -> PROGRAM -> pipe.
Flow Down(const Program* p, const std::string& path, int listener, uint64_t bytes,
          const std::string& rss_file) {
  std::thread source([&] {
    int c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    Produce(c, bytes);
    close(c);
  });
  const auto start = Clock::now();
  uint64_t got = 0;
  long rss = 0;
  Clock::time_point end;
  if (p == nullptr) {
    int s = ConnectTo(path);
    got = Consume(s, bytes, &end);
    close(s);
    source.join();
  } else {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) Die("pipe2");
    pid_t pid = Spawn(*p, in[0], out[1], rss_file);
    close(in[0]);
    close(out[1]);
    got = Consume(out[0], bytes, &end);  // stdin stays open: a relay must not need its EOF
    close(in[1]);
    close(out[0]);
    source.join();
    Reap(pid, p->name);
    rss = ReadRss(rss_file);
  }
  CheckBytes("down", p, got, bytes);
  return {std::chrono::duration<double>(end - start).count(), rss};
}


int Relay(uint64_t bytes, int reps, const std::string& dir,
          const std::vector<std::string>& specs) {
  const std::string path = dir + "/relay.sock";
  const std::string rss_file = dir + "/rss.relay";
  int listener = Listen(path);
  std::vector<Program> programs;
  for (const std::string& s : specs) programs.push_back(ParseProgram(s, path));
  auto gbps = [&](const Flow& f) { return static_cast<double>(bytes) / f.seconds / 1e9; };
  std::printf("program\tup_gbps\tdown_gbps\tup_vs_direct\tdown_vs_direct\tpeak_rss_kib\n");
  // Interleaved: each repetition runs direct and every program once.
  std::vector<std::vector<double>> up(programs.size() + 1), down(programs.size() + 1);
  std::vector<long> rss(programs.size() + 1, 0);
  for (int r = 0; r < reps; ++r) {
    for (size_t i = 0; i <= programs.size(); ++i) {
      const Program* p = i == 0 ? nullptr : &programs[i - 1];
      Flow u = Up(p, path, listener, bytes, rss_file);
      Flow d = Down(p, path, listener, bytes, rss_file);
      up[i].push_back(u.seconds);
      down[i].push_back(d.seconds);
      rss[i] = std::max({rss[i], u.rss_kib, d.rss_kib});
    }
  }
  const double up0 = Percentile(up[0], 0.5), down0 = Percentile(down[0], 0.5);
  for (size_t i = 0; i <= programs.size(); ++i) {
    const Flow u{Percentile(up[i], 0.5), 0}, d{Percentile(down[i], 0.5), 0};
    std::printf("%s\t%.3f\t%.3f\t%.3f\t%.3f\t%s\n",
                i == 0 ? "direct" : programs[i - 1].name.c_str(), gbps(u), gbps(d),
                up0 / u.seconds, down0 / d.seconds,
                i == 0 ? "-" : std::to_string(rss[i]).c_str());
  }
  close(listener);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 5 && args[0] == "latency") {
    return Latency(std::atoi(args[1].c_str()), std::atoi(args[2].c_str()), args[3],
                   std::vector<std::string>(args.begin() + 4, args.end()));
  }
  if (args.size() >= 7 && args[0] == "rtt" && (args[3] == "unix" || args[3] == "tcp") &&
      (args[4] == "alone" || args[4] == "together")) {
    return Rtt(std::atoi(args[1].c_str()), std::atoi(args[2].c_str()), args[3], args[4], args[5],
               std::vector<std::string>(args.begin() + 6, args.end()));
  }
  if (args.size() >= 4 && args[0] == "cost") {
    return CostOf(std::atoi(args[1].c_str()), args[2],
                  std::vector<std::string>(args.begin() + 3, args.end()));
  }
  if (args.size() >= 5 && args[0] == "relay") {
    return Relay(std::strtoull(args[1].c_str(), nullptr, 10), std::atoi(args[2].c_str()),
                 args[3], std::vector<std::string>(args.begin() + 4, args.end()));
  }
  std::fprintf(stderr,
               "usage: bench latency RUNS WARMUP DIR PROGRAM...\n"
               "       bench rtt ROUNDS WARMUP unix|tcp alone|together DIR PROGRAM...\n"
               "       bench relay BYTES REPS DIR PROGRAM...\n"
               "       bench cost ROUNDS DIR PROGRAM...\n");
  return 2;
}
