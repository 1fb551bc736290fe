/* zero-page: read every byte of a fresh 100 MiB block without writing: RES growth (kB) */
#include "probe.h"
int main(void) {
  size_t len = 100UL << 20;
  volatile char *m = malloc(len);
  madvise((void *)(((uintptr_t)m + 4095) & ~4095UL), len - 4096, MADV_NOHUGEPAGE);
  long r0 = status("VmRSS");
  long sum = 0;
  for (size_t i = 0; i < len; i++) sum += m[i];
  long r1 = status("VmRSS");
  printf("res %ld\nsum %ld\n", r1 - r0, sum);
  return 0;
}
