/* free-large: malloc(1 MiB), write it, free it: run under strace -e trace=munmap,brk */
#include "probe.h"
int main(void) {
  char *p = malloc(1 << 20);
  memset(p, 1, 1 << 20);
  if (write(1, "free\n", 5) < 0) return 1;
  free(p);
  if (write(1, "done\n", 5) < 0) return 1;
  return 0;
}
