/* generator_timer RUNS WORKDIR GENERATOR: runs GENERATOR RUNS times as
 * systemd runs a generator (three output directories, stdin and stderr on
 * /dev/null), each time into fresh directories under WORKDIR, and prints
 * one TSV row: runs, median, p90 and max wall time in microseconds (fork to
 * reaped exit), and how many files the last run wrote.
 *
 * Why C and fork(): a shell's own fork and exec would be part of every
 * figure; this launcher is small and static, so the time is the generator's
 * exec, its reads and writes, and its exit. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int Compare(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

/* Files below DIR, recursively (symlinks count as files). */
static int CountFiles(const char* dir) {
  DIR* d = opendir(dir);
  if (d == NULL) return 0;
  int n = 0;
  struct dirent* e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    n += e->d_type == DT_DIR ? CountFiles(path) : 1;
  }
  closedir(d);
  return n;
}

static int RunOnce(const char* generator, const char* out, double* micros) {
  char early[4096], late[4096];
  snprintf(early, sizeof(early), "%s.early", out);
  snprintf(late, sizeof(late), "%s.late", out);
  if (mkdir(out, 0755) != 0) return -1;
  double start = Now();
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 2);
    execl(generator, generator, out, early, late, (char*)NULL);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) return -1;
  *micros = Now() - start;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: generator_timer RUNS WORKDIR GENERATOR\n");
    return 2;
  }
  int runs = atoi(argv[1]);
  if (runs < 1 || runs > 100000) return 2;
  double* t = calloc((size_t)runs, sizeof(double));
  if (t == NULL) return 1;
  char out[4096];
  for (int i = 0; i < runs; ++i) {
    snprintf(out, sizeof(out), "%s/run%d", argv[2], i);
    int rc = RunOnce(argv[3], out, &t[i]);
    if (rc != 0) {
      fprintf(stderr, "generator_timer: run %d failed (%d)\n", i, rc);
      return 1;
    }
  }
  int files = CountFiles(out);
  qsort(t, (size_t)runs, sizeof(double), Compare);
  printf("runs\tmedian_us\tp90_us\tmax_us\tfiles_written\n");
  printf("%d\t%.0f\t%.0f\t%.0f\t%d\n", runs, t[runs / 2], t[(runs * 9) / 10],
         t[runs - 1], files);
  free(t);
  return 0;
}
