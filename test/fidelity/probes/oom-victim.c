/* oom-victim: run in a memory cgroup of LIMIT MiB without swap: "database" writes 45%, "cache" 30% of
 * it and wait; then "worker" writes 30% more. Which one does the OOM killer kill? */
#include "probe.h"
static pid_t hold(long mib, int ready) {
  pid_t c = fork();
  if (c == 0) {
    size_t len = (size_t)mib << 20;
    char *m = malloc(len);
    for (size_t i = 0; i < len; i += 4096) m[i] = 1;
    char x = 1;
    if (ready >= 0 && write(ready, &x, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  return c;
}
int main(int argc, char **argv) {
  long limit = argc > 1 ? atol(argv[1]) : 64;
  int p[2];
  char x;
  if (pipe(p)) return 1;
  pid_t db = hold(limit * 45 / 100, p[1]);
  if (read(p[0], &x, 1) != 1) return 1;
  pid_t cache = hold(limit * 30 / 100, p[1]);
  if (read(p[0], &x, 1) != 1) return 1;
  pid_t worker = hold(limit * 30 / 100, p[1]);
  /* wait until someone dies */
  int st;
  pid_t dead = wait(&st);
  const char *who = dead == db ? "database" : dead == cache ? "cache" : dead == worker ? "worker" : "none";
  printf("killed %s\nsignal %d\n", who, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  kill(db, SIGKILL); kill(cache, SIGKILL); kill(worker, SIGKILL);
  while (wait(NULL) > 0) {}
  return 0;
}
