/* mmap-threshold: malloc(300 KiB) and free it (glibc raises M_MMAP_THRESHOLD), then find the smallest chunk
 * that is mmapped again: the new threshold. A child per try, so each starts from the same heap.
 * Request n becomes a chunk of (n + 8 + 15) & ~15 bytes (x86-64: SIZE_SZ 8, 16-byte alignment). */
#include "probe.h"
static int inHeap(const void *addr) {
  char perms[5], path[256];
  mappingOf(addr, perms, path);
  return !strcmp(path, "[heap]");
}
int main(void) {
  void *a = malloc(300 * 1024);
  int firstHeap = inHeap(a);
  free(a);
  long lo = 4096, hi = 4 << 20; /* lo from the heap, hi mmapped */
  while (hi - lo > 1) {
    long mid = (lo + hi) / 2;
    pid_t c = fork();
    if (c == 0) { void *p = malloc(mid); _exit(inHeap(p)); }
    int st;
    waitpid(c, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 1) lo = mid; else hi = mid;
  }
  void *again = malloc(300 * 1024);
  printf("firstHeap %d\nagainHeap %d\nlargestHeap %ld\nthreshold %ld\n", firstHeap, inHeap(again), lo, (hi + 8 + 15) & ~15L);
  return 0;
}
