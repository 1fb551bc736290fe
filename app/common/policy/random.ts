/**
 * CPython's `random` module, exactly: MT19937 (Modules/_randommodule.c) seeded as
 * `random.seed(n)` seeds it for an integer n — init_by_array over the 32-bit words of |n|,
 * least significant first (one zero word for 0) — and `random.random()` as
 * genrand_res53: (a >> 5) * 2^26 + (b >> 6), over 2^53. So OSTEP's homework scripts, run with
 * python3, draw the same numbers as memlab does for the same seed.
 */

/** the Mersenne Twister's state: 624 words, so 624 outputs between twists */
export const RNG_WORDS = 624;
const N = RNG_WORDS;

/** A seed as Python reads `int(text)`: optional sign, decimal digits (underscores between digits allowed). */
export function parseSeed(text: string | number | bigint): bigint {
  if (typeof text === 'bigint') return text;
  if (typeof text === 'number') {
    if (!Number.isSafeInteger(text)) throw new RangeError(`a seed is a whole number, not ${text}`);
    return BigInt(text);
  }
  const t = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) throw new RangeError(`a seed is a whole number, not '${text}'`);
  return BigInt(t.replace(/_/g, ''));
}

export class PyRandom {
  private readonly mt = new Int32Array(N);
  /**
   * genrand_uint32's outputs, tempered, as signed 32-bit integers: the twist fills out[1..N] at
   * once, so a draw is a load. out[0] is where the last output of a state goes when a random()
   * needs it and the first of the next state, so the two words random() combines are always
   * out[mti] and out[mti + 1] (the replacers' hot loops read them directly).
   */
  readonly out = new Int32Array(N + 1);
  /** the index in `out` of the next output; N + 1 when the state must twist first */
  mti = N + 1;

  constructor(seed: string | number | bigint = 0) {
    this.seed(seed);
  }

  /** random.seed(n) for an integer n (random_seed in _randommodule.c). */
  seed(seed: string | number | bigint): void {
    let n = parseSeed(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    do {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    } while (n > 0n);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s | 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing bits to doubles
      mt[i] = (Math.imul(1812433253, prev) + i) | 0;
    }
    this.mti = N + 1;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    const len = key.length;
    for (let k = N > len ? N : len; k; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) | 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) | 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000 | 0;
    this.mti = N + 1;
  }

  /** the twist of genrand_uint32 over all N words, then each output tempered into `out` */
  refill(): void {
    // the constants as locals: the lab's worker bundle (esbuild) turns a module's top-level
    // consts into vars, which V8 then loads from the module's context on every use instead of
    // folding them in, and the twist ran 60% slower for it (bench/policy.ts, "CLOCK's draws").
    // The masks as signed 32-bit integers: V8 keeps them in registers as int32, where values
    // ≥ 2^31 in a Uint32Array or a literal would be doubles (twice as slow)
    const N = 624;
    const M = 397;
    const MATRIX_A = 0x9908b0df | 0;
    const UPPER_MASK = 0x80000000 | 0;
    const LOWER_MASK = 0x7fffffff;
    const TEMPER_B = 0x9d2c5680 | 0;
    const TEMPER_C = 0xefc60000 | 0;
    const mt = this.mt;
    const out = this.out;
    // mt[kk + 1] is read before it is rewritten: carried from one step to the next
    let cur = mt[0]!;
    let kk = 0;
    for (; kk < N - M; kk++) {
      const next = mt[kk + 1]!;
      const y = (cur & UPPER_MASK) | (next & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
      cur = next;
    }
    for (; kk < N - 1; kk++) {
      const next = mt[kk + 1]!;
      const y = (cur & UPPER_MASK) | (next & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
      cur = next;
    }
    const y = (cur & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    for (let i = 0; i < N; i++) {
      let t = mt[i]!;
      t ^= t >>> 11;
      t ^= (t << 7) & TEMPER_B;
      t ^= (t << 15) & TEMPER_C;
      out[i + 1] = t ^ (t >>> 18);
    }
    this.mti = 1;
  }

  /** before a random() with fewer than two outputs left: twist, keeping a leftover output in out[0] */
  refillPair(): void {
    if (this.mti === N) {
      this.out[0] = this.out[N]!;
      this.refill();
      this.mti = 0;
    } else this.refill();
  }

  /** genrand_uint32: the next 32-bit output. */
  uint32(): number {
    if (this.mti > 624) this.refill();
    return this.out[this.mti++]! >>> 0;
  }

  /** random.random(): a float in [0, 1) with 53 random bits: (a >> 5) * 2^26 + (b >> 6), over 2^53. */
  random(): number {
    if (this.mti >= 624) this.refillPair();
    const i = this.mti;
    this.mti = i + 2;
    const out = this.out;
    return ((out[i]! >>> 5) * 67108864 + (out[i + 1]! >>> 6)) * (1 / 9007199254740992);
  }
}
