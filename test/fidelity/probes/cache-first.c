/* cache-first: run in a memory cgroup of LIMIT MiB with swap. Read a FILE MiB file once (clean,
 * inactive page cache charged to this cgroup), then write ANON MiB of anonymous memory: how much of
 * the file stays cached (mincore) and how much anonymous memory went to swap (VmSwap), in kB. */
#include "probe.h"
static long cachedKb(const char *path, size_t len) {
  int fd = open(path, O_RDONLY);
  void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
  unsigned char *v = malloc(len / 4096 + 1);
  long n = 0;
  if (m != MAP_FAILED && mincore(m, len, v) == 0) for (size_t i = 0; i < len / 4096; i++) n += v[i] & 1;
  if (m != MAP_FAILED) munmap(m, len);
  close(fd);
  free(v);
  return n * 4;
}
int main(int argc, char **argv) {
  if (argc < 5) return 2;
  const char *path = argv[1];
  size_t flen = (size_t)atol(argv[2]) << 20, alen = (size_t)atol(argv[3]) << 20;
  int twice = !strcmp(argv[4], "active");
  char buf[1 << 16];
  memset(buf, 7, sizeof buf);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  for (size_t i = 0; i < flen; i += sizeof buf) if (write(fd, buf, sizeof buf) != sizeof buf) return 3;
  fsync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); /* drop it: the read below brings it back clean */
  for (int r = 0; r < (twice ? 2 : 1); r++) {
    lseek(fd, 0, SEEK_SET);
    while (read(fd, buf, sizeof buf) > 0) {}
  }
  close(fd);
  long c0 = cachedKb(path, flen);
  char *a = malloc(alen);
  for (size_t i = 0; i < alen; i += 4096) a[i] = 1;
  long c1 = cachedKb(path, flen);
  printf("cachedBefore %ld\ncachedAfter %ld\nVmSwap %ld\n", c0, c1, status("VmSwap"));
  return 0;
}
