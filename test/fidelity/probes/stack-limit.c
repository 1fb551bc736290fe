/* stack-limit: RLIMIT_STACK, and in a child: alloca(16 MiB) alone does not fault; a touch at its top
 * (within the limit) is fine; a touch at its bottom (past the limit) is SIGSEGV. The child reports
 * through shared memory, because any call after the alloca would itself touch the stack down there. */
#include <alloca.h>
#include "probe.h"
int main(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_STACK, &rl);
  printf("limit %ld\n", (long)rl.rlim_cur);
  fflush(stdout);
  volatile int *flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  size_t big = 2 * (size_t)rl.rlim_cur;
  pid_t c = fork();
  if (c == 0) {
    volatile char *p = alloca(big);
    flag[0] = 1;            /* alloca returned */
    p[big - 64] = 1;        /* near the top of the stack: within the limit */
    flag[1] = 1;
    p[0] = 1;               /* the bottom: past the limit */
    flag[2] = 1;
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("allocaReturned %d\ntopTouched %d\nbottomTouched %d\nsignal %d\n", flag[0], flag[1], flag[2], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return 0;
}
