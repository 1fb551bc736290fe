/* leak-o2: the classic leak demo (malloc and memset 4 MiB, then overwrite the pointer), 8 rounds:
 * RES growth (kB). Compiled twice by the test: -O0 and -O2. A kept, written block for comparison. */
#include "probe.h"
char data_var = '1';
char *mem_killer(void) {
  char *p;
  p = (char *)malloc(1024 * 1024 * 4);
  memset(p, 'x', 1024 * 1024 * 4);
  p = &data_var; /* the block is lost */
  return p;
}
int main(int argc, char **argv) {
  long r0 = status("VmRSS");
  if (argc > 1 && !strcmp(argv[1], "kept")) {
    size_t len = (size_t)atol(argv[2]) << 20;
    char *m = malloc(len);
    memset(m, 1, len);
    printf("res %ld\n", status("VmRSS") - r0);
    return 0;
  }
  for (int i = 0; i < 8; i++) if (*mem_killer() != '1') return 1;
  printf("res %ld\n", status("VmRSS") - r0);
  return 0;
}
