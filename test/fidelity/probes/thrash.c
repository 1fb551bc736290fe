/* thrash: run in a memory cgroup of LIMIT MiB with swap: cycle PASSES times over a working set of
 * 2 x LIMIT MiB, writing one byte a page: major faults per pass */
#include "probe.h"
int main(int argc, char **argv) {
  long limit = argc > 1 ? atol(argv[1]) : 32;
  int passes = argc > 2 ? atoi(argv[2]) : 4;
  size_t len = (size_t)(2 * limit) << 20;
  char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(m, len, MADV_NOHUGEPAGE);
  printf("pages %ld\n", (long)(len / 4096));
  for (int k = 0; k < passes; k++) {
    long maj0 = majflt();
    for (size_t i = 0; i < len; i += 4096) m[i] = (char)k;
    printf("pass%d %ld\n", k, majflt() - maj0);
  }
  printf("VmSwap %ld\n", status("VmSwap"));
  return 0;
}
