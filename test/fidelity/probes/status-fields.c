/* status-fields: VmRSS against RssAnon + RssFile + RssShmem, and VmHWM after a peak (kB) */
#include "probe.h"
int main(void) {
  size_t len = 32 << 20;
  char *m = malloc(len);
  memset(m, 1, len);
  long peak = status("VmRSS");
  free(m); /* munmapped: RES falls, the high water mark stays */
  printf("VmRSS %ld\nsum %ld\nVmHWM %ld\npeak %ld\n", status("VmRSS"), status("RssAnon") + status("RssFile") + status("RssShmem"), status("VmHWM"), peak);
  return 0;
}
