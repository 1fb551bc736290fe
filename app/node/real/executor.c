/*
 * memlab's real executor: one process of a scenario, doing its steps for real on command.
 *
 * memlab listens on a Unix socket; each executor connects, says "hello NAME PID", then reads one
 * command per line and answers one line ("ok k=v ..." or "err why"). Between commands it is idle
 * in read(2): that is where memlab pauses it and samples /proc/PID. It dies with memlab: the
 * first process asks for SIGKILL when its parent dies (PR_SET_PDEATHSIG), and every process exits
 * at EOF on its socket, which is what a dead memlab leaves behind.
 *
 * It must not touch the heap itself before the scenario does (the first malloc's brk is part of
 * what the learner watches): no stdio, no malloc of its own, fixed tables only.
 */
#define _GNU_SOURCE
#include <alloca.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAMES 1024
struct alloc {
  char name[65];
  char *addr;
  size_t size;  /* what the scenario asked for */
  size_t chunk; /* for mmap: the mapping's length */
  int mapped;   /* 1: from mmap (munmap frees it), 0: from malloc */
};
static struct alloc table[MAX_NAMES];
static int nalloc;
static int sock = -1;
static const char *sock_path;
static char line[4096];
static char out[512];
static size_t stack_used = 12 * 1024;
static long page;

static void say(const char *s) {
  size_t n = strlen(s);
  while (n) {
    ssize_t w = write(sock, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(0);
    }
    s += w;
    n -= (size_t)w;
  }
}

static void ok(const char *fmt, unsigned long long a) {
  char buf[256];
  snprintf(buf, sizeof buf, fmt, a);
  snprintf(out, sizeof out, "ok %s\n", buf);
  say(out);
}
static void err(const char *why) {
  snprintf(out, sizeof out, "err %s (errno %d: %s)\n", why, errno, strerror(errno));
  say(out);
}

static void connect_home(const char *name) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  strncpy(sa.sun_path, sock_path, sizeof sa.sun_path - 1);
  sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0) _exit(111);
  snprintf(out, sizeof out, "hello %s %d\n", name, (int)getpid());
  say(out);
}

/* one line from the socket; EOF (memlab gone) ends the process */
static size_t have, used;
static char rbuf[8192];
static int read_line(void) {
  size_t n = 0;
  for (;;) {
    if (used == have) {
      ssize_t r = read(sock, rbuf, sizeof rbuf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) _exit(0);
      have = (size_t)r;
      used = 0;
    }
    char c = rbuf[used++];
    if (c == '\n') {
      line[n] = 0;
      return 1;
    }
    if (n < sizeof line - 1) line[n++] = c;
  }
}

static struct alloc *find(const char *name) {
  for (int i = 0; i < nalloc; i++)
    if (!strcmp(table[i].name, name)) return &table[i];
  return NULL;
}
static struct alloc *put(const char *name) {
  struct alloc *a = find(name);
  if (a) return a;
  if (nalloc == MAX_NAMES) return NULL;
  a = &table[nalloc++];
  strncpy(a->name, name, 64);
  return a;
}

static unsigned long long num(const char *s) { return strtoull(s, NULL, 0); }

/* touch [addr, addr+len) at first = page(addr), first + stride, ... like the simulator */
static void touch(char *addr, size_t len, size_t stride, int wr, int repeat) {
  uintptr_t first = (uintptr_t)addr & ~(uintptr_t)(page - 1);
  uintptr_t last = (uintptr_t)addr + len;
  volatile char sink = 0;
  for (int r = 0; r < repeat; r++)
    for (uintptr_t p = first; p < last; p += stride) {
      volatile char *q = (volatile char *)(p < (uintptr_t)addr ? (uintptr_t)addr : p);
      if (wr) *q = (char)(r + 1);
      else sink += *q;
    }
  (void)sink;
}

/* grow the stack to `want` bytes below where it started and touch the new part */
static void __attribute__((noinline)) stack_touch(size_t want, size_t fresh) {
  volatile char *p = alloca(want);
  for (size_t off = fresh; off > 0;) {
    size_t step = off > (size_t)page ? (size_t)page : off;
    off -= step;
    p[off] = 1;
  }
  __asm__ volatile("" ::"r"(p) : "memory");
}

static int prot_of(const char *s) {
  if (!strcmp(s, "none")) return PROT_NONE;
  int p = 0;
  if (strchr(s, 'r')) p |= PROT_READ;
  if (strchr(s, 'w')) p |= PROT_WRITE;
  if (strchr(s, 'x')) p |= PROT_EXEC;
  return p;
}

#define MAXARG 12
int main(int argc, char **argv) {
  if (argc < 3) {
    const char m[] = "usage: memlab-executor SOCKET NAME (started by memlab)\n";
    if (write(2, m, sizeof m - 1)) {}
    return 2;
  }
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0); /* memlab died before we asked */
  signal(SIGPIPE, SIG_DFL);
  /* children that exit are reaped by the kernel: memlab watches them through their sockets */
  signal(SIGCHLD, SIG_IGN);
  page = sysconf(_SC_PAGESIZE);
  sock_path = argv[1];
  connect_home(argv[2]);
  for (;;) {
    read_line();
    char *av[MAXARG] = {0};
    int ac = 0;
    for (char *t = strtok(line, " "); t && ac < MAXARG; t = strtok(NULL, " ")) av[ac++] = t;
    if (!ac) continue;
    const char *c = av[0];
    errno = 0;
    if (!strcmp(c, "malloc") || !strcmp(c, "calloc")) { /* malloc NAME SIZE */
      struct alloc *a = put(av[1]);
      if (!a) { err("too many names"); continue; }
      size_t n = num(av[2]);
      char *p = c[0] == 'm' ? malloc(n) : calloc(1, n);
      a->addr = p; a->size = p ? n : 0; a->chunk = 0; a->mapped = 0;
      ok("addr=%#llx", (unsigned long long)(uintptr_t)p);
    } else if (!strcmp(c, "realloc")) { /* realloc OLD NEW SIZE */
      struct alloc *o = find(av[1]);
      if (!o) { err("no such allocation"); continue; }
      size_t n = num(av[3]);
      char *p = realloc(o->addr, n);
      if (!p) { ok("addr=%#llx", 0); continue; }
      o->addr = NULL;
      struct alloc *a = put(av[2]);
      a->addr = p; a->size = n; a->chunk = 0; a->mapped = 0;
      if (a != o && strcmp(av[1], av[2])) o->name[0] = 0;
      ok("addr=%#llx", (unsigned long long)(uintptr_t)p);
    } else if (!strcmp(c, "free")) { /* free NAME */
      struct alloc *a = find(av[1]);
      if (!a) { err("no such allocation"); continue; }
      free(a->addr);
      ok("freed=%llu", 1);
    } else if (!strcmp(c, "touch")) { /* touch NAME OFFSET LEN STRIDE WRITE REPEAT */
      struct alloc *a = find(av[1]);
      if (!a) { err("no such allocation"); continue; }
      size_t off = num(av[2]);
      long long len = strtoll(av[3], NULL, 0);
      if (len < 0) len = a->size > off ? (long long)(a->size - off) : 0;
      if (!a->addr) raise(SIGSEGV); /* a NULL from a failed malloc: the program would crash */
      touch(a->addr + off, (size_t)len, num(av[4]), (int)num(av[5]), (int)num(av[6]));
      ok("touched=%llu", (unsigned long long)len);
    } else if (!strcmp(c, "mmap")) { /* mmap NAME LEN PROT SHARED POPULATE OFFSET PATH|- */
      struct alloc *a = put(av[1]);
      if (!a) { err("too many names"); continue; }
      size_t len = num(av[2]);
      int prot = prot_of(av[3]);
      int flags = (num(av[4]) ? MAP_SHARED : MAP_PRIVATE) | (num(av[5]) ? MAP_POPULATE : 0);
      off_t off = (off_t)num(av[6]);
      int fd = -1;
      if (strcmp(av[7], "-")) {
        fd = open(av[7], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) { err("open"); continue; }
        if (st.st_size < off + (off_t)len && ftruncate(fd, off + (off_t)len) < 0) { err("ftruncate"); close(fd); continue; }
      } else flags |= MAP_ANONYMOUS;
      char *p = mmap(NULL, len, prot, flags, fd, off);
      if (fd >= 0) close(fd);
      if (p == MAP_FAILED) { a->addr = NULL; a->size = 0; err("mmap"); continue; }
      a->addr = p; a->size = len; a->chunk = len; a->mapped = 1;
      ok("addr=%#llx", (unsigned long long)(uintptr_t)p);
    } else if (!strcmp(c, "munmap")) { /* munmap NAME OFFSET LEN(-1: the rest) */
      struct alloc *a = find(av[1]);
      if (!a) { err("no such allocation"); continue; }
      size_t off = num(av[2]);
      long long len = strtoll(av[3], NULL, 0);
      if (len < 0) len = (long long)(a->chunk - off);
      if (munmap(a->addr + off, (size_t)len) < 0) { err("munmap"); continue; }
      ok("unmapped=%llu", (unsigned long long)len);
    } else if (!strcmp(c, "brk")) { /* brk DELTA */
      void *old = sbrk((intptr_t)strtoll(av[1], NULL, 0));
      if (old == (void *)-1) { err("sbrk"); continue; }
      ok("brk=%#llx", (unsigned long long)(uintptr_t)sbrk(0));
    } else if (!strcmp(c, "fork")) { /* fork CHILD */
      pid_t pid = fork();
      if (pid < 0) { err("fork"); continue; }
      if (pid == 0) {
        close(sock);
        have = used = 0;
        connect_home(av[1]);
        continue;
      }
      ok("pid=%llu", (unsigned long long)pid);
    } else if (!strcmp(c, "exit")) { /* exit CODE */
      _exit((int)num(av[1]));
    } else if (!strcmp(c, "mlock") || !strcmp(c, "munlock")) { /* mlock NAME LEN */
      struct alloc *a = find(av[1]);
      if (!a) { err("no such allocation"); continue; }
      long long len = ac > 2 ? strtoll(av[2], NULL, 0) : -1;
      if (len < 0) len = (long long)a->size;
      int r = c[0] == 'm' && c[1] == 'l' ? mlock(a->addr, (size_t)len) : munlock(a->addr, (size_t)len);
      if (r < 0) { err(c); continue; }
      ok("locked=%llu", (unsigned long long)len);
    } else if (!strcmp(c, "mlockall")) { /* mlockall current|future|both */
      int f = !strcmp(av[1], "current") ? MCL_CURRENT : !strcmp(av[1], "future") ? MCL_FUTURE : MCL_CURRENT | MCL_FUTURE;
      if (mlockall(f) < 0) { err("mlockall"); continue; }
      ok("flags=%llu", (unsigned long long)f);
    } else if (!strcmp(c, "munlockall")) {
      if (munlockall() < 0) { err("munlockall"); continue; }
      ok("done=%llu", 1);
    } else if (!strcmp(c, "alloca")) { /* alloca SIZE (cumulative, like a deepening call chain) */
      size_t n = num(av[1]);
      stack_touch(stack_used + n, n);
      stack_used += n;
      ok("stack=%llu", (unsigned long long)stack_used);
    } else if (!strcmp(c, "malloc_trim")) {
      ok("released=%llu", (unsigned long long)malloc_trim(num(av[1])));
    } else if (!strcmp(c, "mallopt")) { /* mallopt M_MMAP_THRESHOLD|M_TRIM_THRESHOLD|M_TOP_PAD VALUE */
      int p = !strcmp(av[1], "M_MMAP_THRESHOLD") ? M_MMAP_THRESHOLD : !strcmp(av[1], "M_TRIM_THRESHOLD") ? M_TRIM_THRESHOLD : M_TOP_PAD;
      ok("ret=%llu", (unsigned long long)mallopt(p, (int)num(av[2])));
    } else if (!strcmp(c, "madvise")) { /* madvise NAME OFFSET LEN dontneed|free|willneed */
      struct alloc *a = find(av[1]);
      if (!a) { err("no such allocation"); continue; }
      int adv = !strcmp(av[4], "free") ? MADV_FREE : !strcmp(av[4], "willneed") ? MADV_WILLNEED : MADV_DONTNEED;
      if (madvise(a->addr + num(av[2]), num(av[3]), adv) < 0) { err("madvise"); continue; }
      ok("done=%llu", 1);
    } else if (!strcmp(c, "read") || !strcmp(c, "write")) { /* read|write PATH LEN */
      static char buf[1 << 16];
      int wr = c[0] == 'w';
      int fd = open(av[1], (wr ? O_WRONLY | O_CREAT : O_RDWR | O_CREAT) | O_CLOEXEC, 0600);
      if (fd < 0) { err("open"); continue; }
      size_t len = num(av[2]), done = 0;
      struct stat st;
      if (!wr && fstat(fd, &st) == 0 && (size_t)st.st_size < len && ftruncate(fd, (off_t)len) < 0) { err("ftruncate"); close(fd); continue; }
      if (wr) memset(buf, 'm', sizeof buf);
      while (done < len) {
        size_t n = len - done < sizeof buf ? len - done : sizeof buf;
        ssize_t r = wr ? write(fd, buf, n) : read(fd, buf, n);
        if (r <= 0) break;
        done += (size_t)r;
      }
      close(fd);
      ok("bytes=%llu", (unsigned long long)done);
    } else if (!strcmp(c, "oom_score_adj")) { /* oom_score_adj VALUE */
      int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      ssize_t r = fd < 0 ? -1 : write(fd, av[1], strlen(av[1]));
      if (fd >= 0) close(fd);
      if (r < 0) { err("oom_score_adj"); continue; }
      ok("done=%llu", 1);
    } else if (!strcmp(c, "sleep")) { /* sleep MS */
      unsigned long long ms = num(av[1]);
      struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
      while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
      ok("slept=%llu", ms);
    } else if (!strcmp(c, "thp_disable")) { /* the scenario's machine has transparent_hugepage: never */
      if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0) { err("prctl"); continue; }
      ok("done=%llu", 1);
    } else if (!strcmp(c, "ping")) {
      ok("pid=%llu", (unsigned long long)getpid());
    } else {
      errno = EINVAL;
      err("unknown command");
    }
  }
}
