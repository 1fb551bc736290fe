/* Seed 003's example_2_4.c: the malloc sizes of exercises/scenarios/malloc-strace.yaml. */
#include <stdlib.h>
int main(void) {
  char *a = malloc(4 * 1024); free(a);
  char *b = malloc(128 * 1024); free(b);
  char *c = malloc(300 * 1024); free(c);
  char *d = malloc(300 * 1024); free(d);
  return 0;
}
