/* use-after-free: in children, write through a freed 64-byte chunk and a freed 1 MiB block; is a freed chunk zeroed? */
#include "probe.h"
static int run(size_t size) {
  pid_t c = fork();
  if (c == 0) {
    char *p = malloc(size);
    memset(p, 'x', size);
    free(p);
    ((volatile char *)p)[size / 2] = 'l';
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}
int main(void) {
  char *p = malloc(64);
  memset(p, 'x', 64);
  free(p);
  int zeroed = 1;
  for (int i = 16; i < 64; i++) if (((volatile char *)p)[i] != 0) zeroed = 0; /* the first 16 bytes hold glibc's links */
  printf("smallSignal %d\nlargeSignal %d\nzeroed %d\n", run(64), run(1 << 20), zeroed);
  return 0;
}
