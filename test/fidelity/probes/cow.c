/* cow: a parent writes 64 MiB, forks; the child writes 16 MiB of it: the child's minor faults */
#include "probe.h"
int main(void) {
  size_t len = 64 << 20;
  char *m = malloc(len);
  memset(m, 1, len);
  pid_t c = fork();
  if (c == 0) {
    long f0 = minflt();
    for (size_t i = 0; i < (16 << 20); i += 4096) m[i] = 2;
    printf("cow %ld\n", minflt() - f0);
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  return 0;
}
