/* virt-after-malloc: malloc(N GiB), touch nothing: how VmSize and VmRSS change (kB) */
#include "probe.h"
int main(int argc, char **argv) {
  long gib = argc > 1 ? atol(argv[1]) : 1;
  free(malloc(16)); /* the heap and tcache exist first */
  long v0 = status("VmSize"), r0 = status("VmRSS");
  char *m = malloc((size_t)gib << 30);
  long v1 = status("VmSize"), r1 = status("VmRSS");
  printf("virt %ld\nres %ld\nok %d\n", v1 - v0, r1 - r0, m != NULL);
  return 0;
}
