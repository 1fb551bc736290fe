/* mlock-limit: RLIMIT_MEMLOCK, and mlock of 16 MiB by an ordinary user (as root: a child that drops to nobody) */
#include "probe.h"
int main(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_MEMLOCK, &rl);
  printf("limit %ld\n", rl.rlim_cur == RLIM_INFINITY ? -1L : (long)rl.rlim_cur);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    if (getuid() == 0 && (setgid(65534) || setuid(65534))) _exit(100);
    size_t len = 16 << 20;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    _exit(mlock(m, len) == 0 ? 0 : errno);
  }
  int st;
  waitpid(c, &st, 0);
  printf("errno %d\nENOMEM %d\nEPERM %d\n", WEXITSTATUS(st), ENOMEM, EPERM);
  return 0;
}
