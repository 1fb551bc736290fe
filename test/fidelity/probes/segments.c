/* segments: where a function, an initialised global, a zeroed global, a small malloc and a local live */
#include "probe.h"
int data_var = 42;
int bss_var;
static void show(const char *what, const void *p) {
  char perms[5], path[256];
  mappingOf(p, perms, path);
  printf("%s %s %s\n", what, perms, path[0] ? path : "[anon]");
}
int main(int argc, char **argv) {
  (void)argc;
  int local = 1;
  char *small = malloc(100);
  char exe[256];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  printf("exe 0 %s\n", exe);
  show("text", (void *)main);
  show("data", &data_var);
  show("bss", &bss_var);
  show("heap", small);
  show("stack", &local);
  (void)argv;
  return 0;
}
