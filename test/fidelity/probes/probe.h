/* Helpers shared by the claim probes: read /proc/self fields and fault counts, print "key value" lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* a field of /proc/self/status (or another file of that shape), in kB; -1 if absent */
static inline long fieldOf(const char *file, const char *name) {
  FILE *f = fopen(file, "r");
  char line[512];
  long v = -1;
  size_t n = strlen(name);
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, name, n) && line[n] == ':') { v = atol(line + n + 1); break; }
  fclose(f);
  return v;
}
static inline long status(const char *name) { return fieldOf("/proc/self/status", name); }
static inline long rollup(const char *name) { return fieldOf("/proc/self/smaps_rollup", name); }
static inline long minflt(void) { struct rusage r; getrusage(RUSAGE_SELF, &r); return r.ru_minflt; }
static inline long majflt(void) { struct rusage r; getrusage(RUSAGE_SELF, &r); return r.ru_majflt; }

/* the perms and path of the mapping holding addr, from /proc/self/maps */
static inline void mappingOf(const void *addr, char perms[5], char path[256]) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  strcpy(perms, "----"); path[0] = 0;
  while (f && fgets(line, sizeof line, f)) {
    unsigned long lo, hi; char p[5]; char name[256] = "";
    if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %255[^\n]", &lo, &hi, p, name) >= 3 && (unsigned long)addr >= lo && (unsigned long)addr < hi) {
      strcpy(perms, p);
      char *s = name; while (*s == ' ') s++;
      strcpy(path, s);
      break;
    }
  }
  if (f) fclose(f);
}

/* bits of /proc/self/pagemap for one page: 63 present, 62 swapped */
static inline uint64_t pagemap(const void *addr) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  uint64_t e = 0;
  if (fd < 0) return 0;
  if (pread(fd, &e, 8, ((uintptr_t)addr / 4096) * 8) != 8) e = 0;
  close(fd);
  return e;
}
#define PM_PRESENT(e) (((e) >> 63) & 1)
#define PM_SWAPPED(e) (((e) >> 62) & 1)
