/* swap-in: run in a memory cgroup of LIMIT MiB with swap. Write a pattern into 16 pages, push them out
 * (a hog of 3 x LIMIT MiB, then MADV_PAGEOUT to be sure), free the hog, touch the pages again: were
 * they in swap, is the data intact, and what kind of fault did the touch take? */
#include "probe.h"
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
int main(int argc, char **argv) {
  long limit = argc > 1 ? atol(argv[1]) : 32;
  size_t plen = 16 * 4096, hlen = (size_t)(3 * limit) << 20;
  unsigned char *p = mmap(NULL, plen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < plen; i++) p[i] = (unsigned char)(i * 7 + 3);
  char *h = mmap(NULL, hlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < hlen; i += 4096) h[i] = 1;
  madvise(p, plen, MADV_PAGEOUT);
  int swapped = 0;
  for (size_t i = 0; i < plen; i += 4096) swapped += PM_SWAPPED(pagemap(p + i)) ? 1 : 0;
  long swapBefore = status("VmSwap");
  munmap(h, hlen);
  long maj0 = majflt(), min0 = minflt();
  int intact = 1;
  unsigned char first = *(volatile unsigned char *)p; /* the first touch: one fault */
  long maj1 = majflt(), min1 = minflt();
  if (first != 3) intact = 0;
  for (size_t i = 0; i < plen; i++) if (((volatile unsigned char *)p)[i] != (unsigned char)(i * 7 + 3)) intact = 0;
  int present = 0;
  for (size_t i = 0; i < plen; i += 4096) present += PM_PRESENT(pagemap(p + i)) ? 1 : 0;
  printf("swapped %d\npages 16\nswapBefore %ld\nintact %d\npresent %d\nmajor %ld\nminor %ld\n", swapped, swapBefore, intact, present, maj1 - maj0, min1 - min0);
  return 0;
}
