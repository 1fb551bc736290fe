/* shared-pss: 64 MiB of shared anonymous memory written by a parent and read by n-1 children:
 * each process's RssShmem and Pss (kB); the machine stores it once */
#include "probe.h"
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2;
  size_t len = 64 << 20;
  char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(m, 1, len);
  int go[2], done[2], bye[2];
  if (pipe(go) || pipe(done) || pipe(bye)) return 1;
  for (int i = 1; i < n; i++) {
    if (fork() == 0) {
      volatile long s = 0;
      for (size_t j = 0; j < len; j += 4096) s += m[j];
      char c = 1;
      if (write(done[1], &c, 1) != 1) _exit(1);
      if (read(go[0], &c, 1) != 1) _exit(1); /* all mapped: measure */
      printf("child RssShmem %ld Pss %ld\n", status("RssShmem"), rollup("Pss_Shmem") >= 0 ? rollup("Pss_Shmem") : rollup("Pss"));
      fflush(stdout);
      if (write(done[1], &c, 1) != 1) _exit(1);
      if (read(bye[0], &c, 1) != 1) _exit(1); /* stay mapped until every sharer has measured */
      _exit(0);
    }
  }
  char c;
  for (int i = 1; i < n; i++) if (read(done[0], &c, 1) != 1) return 1;
  printf("parent RssShmem %ld Pss %ld\n", status("RssShmem"), rollup("Pss_Shmem") >= 0 ? rollup("Pss_Shmem") : rollup("Pss"));
  fflush(stdout);
  for (int i = 1; i < n; i++) if (write(go[1], &c, 1) != 1) return 1;
  for (int i = 1; i < n; i++) if (read(done[0], &c, 1) != 1) return 1;
  for (int i = 1; i < n; i++) if (write(bye[1], &c, 1) != 1) return 1;
  while (wait(NULL) > 0) {}
  return 0;
}
