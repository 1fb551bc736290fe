/*
 * The bench's native reference (bench/policy.ts): the plain loop and four policies over the same
 * 1,000,000-reference string, written the way a C programmer would, compiled with gcc -O2 in the
 * bench's own run. It shows what the machine itself makes of each algorithm, so a ratio to the
 * plain loop can be read against what compiled code reaches on the same string and machine.
 *
 *   policies REFS MAXPAGE FRAMES CLOCKBITS ROUNDS
 *
 * The string is OSTEP's (paging-policy.py): random.seed(0) (CPython's MT19937 init_by_array over
 * the key [0]), then int(maxpage * random()) per reference; CLOCK's draws continue the stream as
 * they do in memlab's countHits with a fresh seed-0 stream (the bench seeds both sides alike).
 * Prints one JSON object: each side's median time in ms and its hits, which the bench checks
 * against memlab's own (an independent implementation of the same four policies).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 624
#define M 397
static uint32_t mt[N];
static int mti = N + 1;

static void init_genrand(uint32_t s) {
  mt[0] = s;
  for (mti = 1; mti < N; mti++) mt[mti] = 1812433253U * (mt[mti - 1] ^ (mt[mti - 1] >> 30)) + (uint32_t)mti;
}
/* random.seed(0): init_by_array over the one word 0 */
static void seed0(void) {
  uint32_t key = 0;
  int i = 1, j = 0;
  init_genrand(19650218U);
  for (int k = N; k; k--) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U)) + key + (uint32_t)j;
    i++;
    j = 0;
    if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
  }
  for (int k = N - 1; k; k--) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941U)) - (uint32_t)i;
    i++;
    if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
  }
  mt[0] = 0x80000000U;
  mti = N;
}
static inline uint32_t genrand(void) {
  static const uint32_t mag01[2] = {0, 0x9908b0dfU};
  uint32_t y;
  if (mti >= N) {
    int kk;
    for (kk = 0; kk < N - M; kk++) {
      y = (mt[kk] & 0x80000000U) | (mt[kk + 1] & 0x7fffffffU);
      mt[kk] = mt[kk + M] ^ (y >> 1) ^ mag01[y & 1];
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk] & 0x80000000U) | (mt[kk + 1] & 0x7fffffffU);
      mt[kk] = mt[kk + (M - N)] ^ (y >> 1) ^ mag01[y & 1];
    }
    y = (mt[N - 1] & 0x80000000U) | (mt[0] & 0x7fffffffU);
    mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ mag01[y & 1];
    mti = 0;
  }
  y = mt[mti++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  return y ^ (y >> 18);
}
/* random.random(): genrand_res53 */
static inline double rnd(void) {
  uint32_t a = genrand() >> 5, b = genrand() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}
static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int refs, maxpage, frames, clockbits;
static int *ids, *seen, *ref, *buf, *ring, *prv, *nxt, *frameOf;
static unsigned char *res, *used;
static volatile long sink;

static long plain(void) {
  memset(seen, 0, sizeof(int) * maxpage);
  for (int i = 0; i < refs; i++) seen[ids[i]]++;
  return seen[0];
}
static long fifo(void) {
  long hits = 0;
  int head = 0, count = 0;
  memset(res, 0, maxpage);
  for (int i = 0; i < refs; i++) {
    int p = ids[i];
    if (res[p]) { hits++; continue; }
    res[p] = 1;
    if (count < frames) { ring[count++] = p; continue; }
    res[ring[head]] = 0;
    ring[head] = p;
    if (++head == frames) head = 0;
  }
  return hits;
}
/* LRU: a doubly linked list through the pages, sentinel at index maxpage, least recent first */
static long lru(void) {
  long hits = 0;
  int count = 0, s = maxpage;
  memset(res, 0, maxpage);
  prv[s] = nxt[s] = s;
  for (int i = 0; i < refs; i++) {
    int p = ids[i];
    if (res[p]) {
      hits++;
      nxt[prv[p]] = nxt[p]; prv[nxt[p]] = prv[p];
    } else if (count == frames) {
      int v = nxt[s];
      nxt[s] = nxt[v]; prv[nxt[v]] = s;
      res[v] = 0;
      res[p] = 1;
    } else { count++; res[p] = 1; }
    int t = prv[s];
    nxt[t] = p; prv[p] = t; nxt[p] = s; prv[s] = p;
  }
  return hits;
}
/* OSTEP's CLOCK: random probes into the memory list in arrival order, memory.remove(victim) */
static long clock_ostep(void) {
  long hits = 0;
  int head = 0, size = 0, cap = 4 * frames + 4;
  memset(res, 0, maxpage);
  memset(ref, 0, sizeof(int) * maxpage);
  seed0();
  for (int i = 0; i < refs; i++) {
    int p = ids[i];
    if (res[p]) { int r = ref[p] + 1; ref[p] = r > clockbits ? clockbits : r; hits++; continue; }
    if (size == frames) {
      for (;;) {
        int k = (int)(rnd() * size), at = head + k, page = buf[at], b = ref[page];
        if (b) { ref[page] = b - 1; continue; }
        if (k < size - 1 - k) { memmove(buf + head + 1, buf + head, sizeof(int) * k); head++; }
        else memmove(buf + at, buf + at + 1, sizeof(int) * (size - 1 - k));
        size--; res[page] = 0;
        break;
      }
    }
    res[p] = 1; ref[p] = 1;
    if (head + size == cap) { memmove(buf, buf + head, sizeof(int) * size); head = 0; }
    buf[head + size++] = p;
  }
  return hits;
}
/* the textbook clock: a hand sweeps the frames, clearing use bits */
static long second_chance(void) {
  long hits = 0;
  int filled = 0, h = 0;
  for (int p = 0; p < maxpage; p++) frameOf[p] = -1;
  for (int i = 0; i < refs; i++) {
    int p = ids[i], f = frameOf[p];
    if (f >= 0) { used[f] = 1; hits++; continue; }
    if (filled < frames) { ring[filled] = p; used[filled] = 1; frameOf[p] = filled++; continue; }
    while (used[h]) { used[h] = 0; if (++h == frames) h = 0; }
    frameOf[ring[h]] = -1;
    ring[h] = p; used[h] = 1; frameOf[p] = h;
    if (++h == frames) h = 0;
  }
  return hits;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 6) { fprintf(stderr, "usage: policies REFS MAXPAGE FRAMES CLOCKBITS ROUNDS\n"); return 2; }
  refs = atoi(argv[1]); maxpage = atoi(argv[2]); frames = atoi(argv[3]); clockbits = atoi(argv[4]);
  int rounds = atoi(argv[5]);
  ids = malloc(sizeof(int) * refs);
  seen = malloc(sizeof(int) * maxpage); ref = malloc(sizeof(int) * maxpage); frameOf = malloc(sizeof(int) * maxpage);
  prv = malloc(sizeof(int) * (maxpage + 1)); nxt = malloc(sizeof(int) * (maxpage + 1));
  res = malloc(maxpage); used = malloc(frames);
  buf = malloc(sizeof(int) * (4 * frames + 4)); ring = malloc(sizeof(int) * frames);
  seed0();
  for (int i = 0; i < refs; i++) ids[i] = (int)(maxpage * rnd());
  const char *names[] = {"FIFO", "LRU", "CLOCK", "SECOND-CHANCE"};
  long (*fns[])(void) = {fifo, lru, clock_ostep, second_chance};
  double *tp = malloc(sizeof(double) * rounds), *tf = malloc(sizeof(double) * rounds * 4);
  long hits[4];
  /* the plain loop and each policy take turns, as in bench/policy.ts */
  for (int r = 0; r < rounds; r++) {
    double t = now_ms();
    for (int q = 0; q < 25; q++) sink += plain();
    tp[r] = (now_ms() - t) / 25;
    for (int f = 0; f < 4; f++) {
      t = now_ms();
      hits[f] = fns[f]();
      tf[f * rounds + r] = now_ms() - t;
    }
  }
  qsort(tp, rounds, sizeof(double), cmp);
  printf("{\"plain\":%.4f", tp[rounds / 2]);
  for (int f = 0; f < 4; f++) {
    qsort(tf + f * rounds, rounds, sizeof(double), cmp);
    printf(",\"%s\":{\"ms\":%.4f,\"hits\":%ld}", names[f], tf[f * rounds + rounds / 2], hits[f]);
  }
  printf("}\n");
  return 0;
}
