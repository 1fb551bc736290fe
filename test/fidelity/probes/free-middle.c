/* free-middle: four 60 KiB chunks on a fresh heap, the middle two freed, then malloc_trim(0): RES and VIRT (kB) */
#include "probe.h"
int main(void) {
  char *p[4];
  for (int i = 0; i < 4; i++) { p[i] = malloc(60 * 1024); memset(p[i], 1, 60 * 1024); }
  long a0 = status("RssAnon"), v0 = status("VmSize");
  free(p[1]); free(p[2]);
  long a1 = status("RssAnon"), v1 = status("VmSize");
  malloc_trim(0);
  long a2 = status("RssAnon"), v2 = status("VmSize");
  printf("freeRes %ld\nfreeVirt %ld\ntrimRes %ld\ntrimVirt %ld\n", a0 - a1, v0 - v1, a1 - a2, v1 - v2);
  return 0;
}
