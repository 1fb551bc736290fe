/** Sizes as students write them: 4KiB, 2GiB, 1G, 512M, 100000 (bytes). Binary units, as Linux uses. */

/** Binary units by lower-case name (kB is 1024 bytes, as /proc means it). Shared with the packs' expressions. */
export const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** The largest size a scenario may give: 2^53 - 1 bytes, the largest whole number a double holds exactly. */
export const MAX_SIZE = Number.MAX_SAFE_INTEGER;

/**
 * Parse a size; returns bytes, or an error message. A size is a whole number of bytes no larger
 * than 2^53 - 1 (8 PiB): 1e308 or 2^53 + 1 are refused, never rounded.
 */
export function parseSize(v: unknown): number | string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0 || !Number.isInteger(v)) return `a size must be a whole number of bytes, not ${v}`;
    if (!Number.isSafeInteger(v)) return `${v} bytes is too large to be exact (sizes go up to 2^53 - 1 bytes; write large sizes with a unit, like 16TiB)`;
    return v;
  }
  if (typeof v !== 'string') return 'a size is a number of bytes or a string like 4KiB, 2GiB';
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return `'${v}' is not a size (try 4KiB, 128MiB, 2GiB or a number of bytes)`;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return `'${v}': unknown unit '${m[2]}' (use B, KiB, MiB, GiB, TiB)`;
  const n = Number(m[1]);
  const bytes = n * unit;
  if (!m[1]!.includes('.') && !Number.isSafeInteger(n)) return `'${v}' is too large to be exact (sizes go up to 2^53 - 1 bytes)`;
  if (!Number.isSafeInteger(Math.round(bytes))) return `'${v}' is too large (sizes go up to 2^53 - 1 bytes, 8 PiB)`;
  if (!Number.isInteger(bytes)) return `'${v}' is ${bytes} bytes: a size is a whole number of bytes`;
  return bytes;
}

export function kb(bytes: number): number {
  return Math.floor(bytes / 1024);
}

/** 2147483648 -> "2 GiB", 135168 -> "132 KiB" */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  if (i === 0 && bytes >= 1024) {
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${v.toFixed(1)} ${units[i]}`;
  }
  return `${v} ${units[i]}`;
}

export const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;
export const alignDown = (x: number, a: number) => Math.floor(x / a) * a;
