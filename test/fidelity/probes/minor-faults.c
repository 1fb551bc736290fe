/* minor-faults: write one byte into every page of a fresh N MiB block: minor faults and RES growth (kB) */
#include "probe.h"
int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 16;
  size_t len = (size_t)mib << 20;
  char *m = malloc(len);
  madvise((void *)(((uintptr_t)m + 4095) & ~4095UL), len - 4096, MADV_NOHUGEPAGE); /* 4 KiB faults even where THP is on */
  long r0 = status("VmRSS"), f0 = minflt();
  for (size_t i = 0; i < len; i += 4096) m[i] = 1;
  long f1 = minflt(), r1 = status("VmRSS");
  /* a second touch of a page already present: no fault */
  long f2 = minflt();
  m[4096] = 2;
  printf("faults %ld\nres %ld\nrefault %ld\n", f1 - f0, r1 - r0, minflt() - f2);
  return 0;
}
