/* string-literal: write to a string literal in a child; report the signal and the literal's mapping */
#include "probe.h"
int main(void) {
  char *p = "hello world";
  char perms[5], path[256];
  mappingOf(p, perms, path);
  printf("perms %s\n", perms);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) { ((volatile char *)p)[1] = 'l'; _exit(0); }
  int st;
  waitpid(c, &st, 0);
  printf("signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return 0;
}
