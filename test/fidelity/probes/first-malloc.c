/* first-malloc: a fresh process's first malloc(N): is it in [heap] or its own mmap, and how big is the heap?
 * No stdio before the malloc under test (printf would malloc its buffer first): maps are read with read(2).
 *   first-malloc N         one first malloc of N bytes
 *   first-malloc largest   the largest first malloc the heap serves (a child per try)
 *   first-malloc touch     malloc(100 KiB), then *p = 't': minor faults of that first touch */
#include "probe.h"
static char maps[1 << 16];
/* 1 if addr is inside [heap]; *heapKb = the heap's size */
static int inHeap(const void *addr, long *heapKb) {
  int fd = open("/proc/self/maps", O_RDONLY);
  ssize_t n = 0, r;
  while (fd >= 0 && (r = read(fd, maps + n, sizeof maps - 1 - n)) > 0) n += r;
  if (fd >= 0) close(fd);
  maps[n] = 0;
  *heapKb = 0;
  for (char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    unsigned long lo, hi;
    char *nl = strchr(l, '\n');
    if (sscanf(l, "%lx-%lx", &lo, &hi) == 2 && nl && nl - l > 6 && !strncmp(nl - 6, "[heap]", 6)) {
      *heapKb = (long)(hi - lo) / 1024;
      return (unsigned long)addr >= lo && (unsigned long)addr < hi;
    }
  }
  return 0;
}
static void say(const char *k, long v) {
  char b[96];
  int n = snprintf(b, sizeof b, "%s %ld\n", k, v);
  if (write(1, b, n) < 0) _exit(2);
}
int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "131072";
  if (!strcmp(what, "largest")) {
    long lo = 4096, hi = 1 << 20; /* lo is served from the heap, hi is not */
    while (hi - lo > 1) {
      long mid = (lo + hi) / 2;
      pid_t c = fork();
      if (c == 0) { long kb; void *p = malloc(mid); _exit(inHeap(p, &kb)); }
      int st;
      waitpid(c, &st, 0);
      if (WIFEXITED(st) && WEXITSTATUS(st) == 1) lo = mid; else hi = mid;
    }
    say("largest", lo);
    return 0;
  }
  if (!strcmp(what, "touch")) {
    char *p = malloc(100 * 1024);
    long f0 = minflt();
    *(volatile char *)p = 't';
    long f1 = minflt();
    long kb;
    say("heap", inHeap(p, &kb));
    say("touchFaults", f1 - f0);
    return 0;
  }
  long size = atol(what);
  void *p = malloc(size);
  long kb;
  int h = inHeap(p, &kb);
  say("heap", h);
  say("heapKb", kb);
  return 0;
}
