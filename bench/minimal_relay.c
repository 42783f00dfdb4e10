/* The least a relay can do, to compare ours with (bench/why.md, "Relay
 * throughput"): stdin -> the AF_UNIX socket PATH, the socket -> stdout,
 * until the socket ends. Benchmark use only: no fallbacks, no budget, no
 * error messages worth the name.
 *
 *   minimal_relay MODE PIPE_BYTES SNDBUF CHUNK PATH
 *     MODE poll    non-blocking splice and poll, as net/relay.cc does
 *          threads one thread per direction, blocking splice
 *          copy    poll, then read and write through a CHUNK buffer
 *     PIPE_BYTES   F_SETPIPE_SZ on stdin and stdout at start (0: leave them)
 *     SNDBUF       SO_SNDBUF of the socket (0: the default)
 *     CHUNK        bytes one splice, read or write asks for
 *
 * e.g. bench relay $((1<<30)) 7 DIR "minimal=stream:minimal_relay poll
 * 262144 0 1048576 {}". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static size_t chunk;
static int sock;
static int out = 1;  /* stdout, or a pipe of ours in front of it */

static int Gone(void) { return errno == EPIPE || errno == ECONNRESET; }

/* The socket ended (or stdout's reader went away): the session is over. */
static void End(void) {
  close(1);
  exit(0);
}

static void* Up(void* unused) {
  (void)unused;
  for (;;) {
    ssize_t n = splice(0, NULL, sock, NULL, chunk, SPLICE_F_MOVE);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && !Gone()) exit(1);
    if (n <= 0) {
      shutdown(sock, SHUT_WR);
      return NULL;
    }
  }
}

static void* Down(void* unused) {
  (void)unused;
  for (;;) {
    ssize_t n = splice(sock, NULL, out, NULL, chunk, SPLICE_F_MOVE);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && !Gone()) exit(1);
    if (n <= 0) End();
  }
}

struct Dir {
  int src, dst, eof;
  int wait_fd;  /* -1: runnable */
  short wait_events;
  int src_ready;  /* poll said src is readable; EAGAIN then means dst is full */
};

/* Up to 16 splices, then its turn ends; EAGAIN: wait for src, or for dst
 * once src is known to be readable. */
static void Turn(struct Dir* d, int up) {
  for (int round = 0; round < 16; ++round) {
    ssize_t n = splice(d->src, NULL, d->dst, NULL, chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      d->src_ready = 0;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      d->wait_fd = d->src_ready ? d->dst : d->src;
      d->wait_events = d->src_ready ? POLLOUT : POLLIN;
      return;
    }
    if (n < 0 && !Gone()) exit(1);
    if (!up) End();
    d->eof = 1;
    shutdown(sock, SHUT_WR);
    return;
  }
}

static void PollLoop(void) {
  fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
  struct Dir d[2] = {{0, sock, 0, -1, 0, 0}, {sock, out, 0, -1, 0, 0}};
  for (;;) {
    int busy = 0, n = 0, who[2];
    struct pollfd p[2];
    for (int i = 0; i < 2; ++i) {
      if (!d[i].eof && d[i].wait_fd < 0) Turn(&d[i], i == 0);
      if (d[i].eof) continue;
      if (d[i].wait_fd < 0) {
        busy = 1;
        continue;
      }
      p[n] = (struct pollfd){d[i].wait_fd, d[i].wait_events, 0};
      who[n++] = i;
    }
    if (n == 0) continue;
    if (poll(p, (nfds_t)n, busy ? 0 : -1) < 0 && errno != EINTR) exit(1);
    for (int k = 0; k < n; ++k) {
      if (p[k].revents == 0) continue;
      struct Dir* x = &d[who[k]];
      x->src_ready = x->wait_events == POLLIN;
      x->wait_fd = -1;
    }
  }
}

static void WriteAll(int fd, const char* buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, (size_t)n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && Gone()) End();
    if (w < 0) exit(1);
    buf += w;
    n -= w;
  }
}

static void CopyLoop(void) {
  char* buf = malloc(chunk);
  struct pollfd p[2] = {{0, POLLIN, 0}, {sock, POLLIN, 0}};
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      exit(1);
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].revents == 0) continue;
      ssize_t n = read(i ? sock : 0, buf, chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 && i) End();
      if (n <= 0) {
        p[0].fd = -1;
        shutdown(sock, SHUT_WR);
        continue;
      }
      WriteAll(i ? out : sock, buf, n);
    }
  }
}

static void* Drain(void* fd) {
  while (splice(*(int*)fd, NULL, 1, NULL, 1 << 16, SPLICE_F_MOVE) > 0) {
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 6) return 2;
  const int pipe_bytes = atoi(argv[2]), sndbuf = atoi(argv[3]);
  chunk = strtoul(argv[4], NULL, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[5], sizeof(addr.sun_path) - 1);
  sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || chunk == 0) return 1;
  if (sndbuf > 0) setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  if (connect(sock, (struct sockaddr*)&addr, sizeof(addr)) != 0) return 1;
  if (pipe_bytes > 0) {
    fcntl(0, F_SETPIPE_SZ, pipe_bytes);
    fcntl(1, F_SETPIPE_SZ, pipe_bytes);
  }
  /* splice needs a pipe at one end: when stdout is none (bench relay's
   * upload gives /dev/null), a thread drains a pipe of ours into it. */
  static int drain_fd;
  pthread_t drain;
  int fds[2];
  if (fcntl(1, F_GETPIPE_SZ) < 0) {
    if (pipe2(fds, O_CLOEXEC) != 0) return 1;
    drain_fd = fds[0];
    out = fds[1];
    pthread_create(&drain, NULL, Drain, &drain_fd);
  }
  if (strcmp(argv[1], "poll") == 0) PollLoop();
  if (strcmp(argv[1], "copy") == 0) CopyLoop();
  if (strcmp(argv[1], "threads") != 0) return 2;
  pthread_t up, down;
  pthread_create(&up, NULL, Up, NULL);
  pthread_create(&down, NULL, Down, NULL);
  pthread_join(down, NULL);
  return 0;
}
