/* rss-exact: is /proc/self/status exact? 200 bursts of 1-61 page faults, RssAnon against Anonymous in
 * smaps_rollup (a page-table walk) after each; then the Rss of the anonymous mappings alone (what summing
 * pmap -x's [ anon ] lines gives), of every mapping, and VmRSS (kB). */
#include "probe.h"
static long smapsRss(int anonOnly) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512];
  long sum = 0;
  int anon = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char name[256] = "";
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255[^\n]", &lo, &hi, name) >= 2 && strchr(line, '-') < strchr(line, ' ')) {
      anon = name[0] == 0; /* pmap -x prints "[ anon ]" for a mapping without a name */
      continue;
    }
    if (!strncmp(line, "Rss:", 4) && (!anonOnly || anon)) sum += atol(line + 4);
  }
  fclose(f);
  return sum;
}
int main(void) {
  int equal = 0, runs = 200;
  srand(13);
  for (int i = 0; i < runs; i++) {
    int pages = 1 + rand() % 61;
    char *m = mmap(NULL, pages * 4096L, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int j = 0; j < pages; j++) m[j * 4096L] = 1;
    if (status("RssAnon") == rollup("Anonymous")) equal++;
  }
  long all = smapsRss(0), anon = smapsRss(1);
  all = smapsRss(0); /* again, now that reading smaps has faulted in what it needs */
  long vmrss = status("VmRSS");
  printf("equal %d\nruns %d\nanonSum %ld\nallSum %ld\nVmRSS %ld\nrollupRss %ld\nrollupPss %ld\n", equal, runs, anon, all, vmrss, rollup("Rss"), rollup("Pss"));
  return 0;
}
