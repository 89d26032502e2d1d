/* Runs a command and writes its wall, user and system time and peak RSS
 * (descendants included) to a file, for compare.py.
 *
 *   measure RESULT_FILE PRELOAD|- COMMAND [ARG...]
 *
 * Why a launcher: a child's peak RSS starts at the RSS of the process it was
 * forked from, so measuring from Python would count Python's 20 MiB in every
 * figure; this program is small. PRELOAD (or "-" for none) becomes
 * LD_PRELOAD in the child only. Writes "wall user system max_rss_kib status"
 * (status: the exit code, or 128 + the signal) and exits with the status. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double Seconds(struct timeval tv) {
  return tv.tv_sec + tv.tv_usec / 1e6;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s RESULT_FILE PRELOAD|- COMMAND [ARG...]\n",
            argv[0]);
    return 2;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  const pid_t pid = fork();
  if (pid < 0) {
    perror("measure: fork");
    return 2;
  }
  if (pid == 0) {
    if (strcmp(argv[2], "-") == 0) {
      unsetenv("LD_PRELOAD");
    } else {
      setenv("LD_PRELOAD", argv[2], 1);
    }
    execvp(argv[3], argv + 3);
    fprintf(stderr, "measure: %s: %s\n", argv[3], strerror(errno));
    _exit(127);
  }
  int wstatus;
  struct rusage usage;
  while (wait4(pid, &wstatus, 0, &usage) < 0) {
    if (errno != EINTR) {
      perror("measure: wait4");
      return 2;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  const int status =
      WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  FILE* out = fopen(argv[1], "w");
  if (out == NULL) {
    perror("measure: result file");
    return 2;
  }
  fprintf(out, "%.6f %.6f %.6f %ld %d\n",
          (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9,
          Seconds(usage.ru_utime), Seconds(usage.ru_stime), usage.ru_maxrss,
          status);
  fclose(out);
  return status;
}
