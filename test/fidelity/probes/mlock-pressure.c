/* mlock-pressure: run in a memory cgroup of LIMIT MiB with swap: 8 MiB locked and 8 MiB plain, both
 * written, then a hog of 3 x LIMIT MiB: how many of each were swapped (pages) */
#include "probe.h"
int main(int argc, char **argv) {
  long limit = argc > 1 ? atol(argv[1]) : 32;
  size_t len = 8 << 20, hlen = (size_t)(3 * limit) << 20;
  char *locked = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *plain = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mlock(locked, len)) { perror("mlock"); return 1; }
  long residentAtLock = 0;
  for (size_t i = 0; i < len; i += 4096) residentAtLock += PM_PRESENT(pagemap(locked + i)) ? 1 : 0;
  memset(locked, 1, len);
  memset(plain, 1, len);
  char *h = mmap(NULL, hlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < hlen; i += 4096) h[i] = 1;
  long ls = 0, ps = 0;
  for (size_t i = 0; i < len; i += 4096) {
    ls += PM_SWAPPED(pagemap(locked + i)) ? 1 : 0;
    ps += PM_SWAPPED(pagemap(plain + i)) ? 1 : 0;
  }
  printf("pages %ld\nresidentAtLock %ld\nlockedSwapped %ld\nplainSwapped %ld\nVmLck %ld\n", (long)(len / 4096), residentAtLock, ls, ps, status("VmLck"));
  return 0;
}
