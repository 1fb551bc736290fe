/* page-size: the page the MMU maps, as getconf PAGESIZE reports it */
#include "probe.h"
int main(void) { printf("pagesize %ld\n", sysconf(_SC_PAGESIZE)); return 0; }
