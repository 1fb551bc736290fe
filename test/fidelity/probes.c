/* Probes that do what memlab's scenarios do, on this machine's real kernel, and print
 * /proc/self/status fields and getrusage fault counts as "key value" lines. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static long field(const char *name) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(name);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, name, n) && line[n] == ':') { v = atol(line + n + 1); break; }
  fclose(f);
  return v;
}
/* smaps_rollup walks the page tables. /proc/self/status sums the per-CPU RSS counters exactly since
 * Linux 6.16 (2025, backported); 6.2-6.15 read them approximately, and older kernels had per-task
 * caches flushed every 64 faults (probes/rss-exact.c measures which this kernel does). */
static long rollupRss(void) {
  FILE *f = fopen("/proc/self/smaps_rollup", "r");
  char line[256];
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "Rss:", 4)) { v = atol(line + 4); break; }
  if (f) fclose(f);
  return v;
}
static long minflt(void) { struct rusage r; getrusage(RUSAGE_SELF, &r); return r.ru_minflt; }
static void show(const char *tag) {
  printf("%s VmSize %ld VmRSS %ld RssAnon %ld VmLck %ld minflt %ld Rss %ld\n", tag, field("VmSize"), field("VmRSS"), field("RssAnon"), field("VmLck"), minflt(), rollupRss());
  fflush(stdout);
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  void *warm = malloc(16); /* the heap and tcache exist before we measure, as in the scenarios' 'start' */
  (void)warm;
  if (!strcmp(what, "virt-res")) {
    show("start");
    char *m = malloc(2UL << 30);
    show("after-malloc");
    memset(m, 'u', 1UL << 30);
    show("after-memset");
  } else if (!strcmp(what, "faults")) {
    char *m = malloc(64 << 20);
    long before = minflt();
    for (long i = 0; i < (64 << 20); i += 4096) m[i] = 1;
    printf("faults %ld\n", minflt() - before);
  } else if (!strcmp(what, "cow")) {
    char *m = malloc(64 << 20);
    memset(m, 1, 64 << 20);
    pid_t p = fork();
    if (p == 0) {
      long before = minflt();
      for (long i = 0; i < (16 << 20); i += 4096) m[i] = 2;
      printf("cow %ld\n", minflt() - before);
      fflush(stdout);
      _exit(0);
    }
    waitpid(p, NULL, 0);
  } else if (!strcmp(what, "mlock")) {
    char *m = malloc(32 << 20);
    show("before");
    if (mlock(m, 32 << 20) != 0) { perror("mlock"); return 1; }
    show("locked");
  } else if (!strcmp(what, "trim")) {
    char *p[4];
    for (int i = 0; i < 4; i++) { p[i] = malloc(60 * 1024); memset(p[i], 1, 60 * 1024); }
    show("all-touched");
    free(p[1]); free(p[2]);
    show("middle-freed");
    malloc_trim(0);
    show("after-malloc_trim");
  } else if (!strcmp(what, "hold")) {
    long mb = argc > 2 ? atol(argv[2]) : 64;
    char *m = malloc(mb << 20);
    memset(m, 1, mb << 20);
    printf("ready\n");
    fflush(stdout);
    pause();
  }
  return 0;
}
