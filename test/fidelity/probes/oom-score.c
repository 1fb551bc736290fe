/* oom-score: hold N MiB written, print "ready", wait: the test reads /proc/PID/oom_score and status */
#include "probe.h"
int main(int argc, char **argv) {
  size_t len = (size_t)(argc > 1 ? atol(argv[1]) : 200) << 20;
  char *m = malloc(len);
  memset(m, 1, len);
  printf("ready\n");
  fflush(stdout);
  pause();
  return 0;
}
