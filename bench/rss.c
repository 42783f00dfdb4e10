/* rss OUTFILE COMMAND [ARG...]: runs COMMAND and writes its peak resident set
 * size in KiB (wait4's ru_maxrss) and its page faults (ru_minflt +
 * ru_majflt) to OUTFILE, on one line; exits as COMMAND did.
 *
 * Why a separate process: a child made with posix_spawn/vfork shares its
 * parent's memory until exec, and the kernel counts that memory into the
 * child's ru_maxrss. This launcher is small and static, and fork()s, so the
 * figure is COMMAND's own plus at most this program's few pages. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return 1;
  FILE* f = fopen(argv[1], "w");
  if (f == NULL) return 1;
  fprintf(f, "%ld %ld\n", ru.ru_maxrss, ru.ru_minflt + ru.ru_majflt);
  fclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
