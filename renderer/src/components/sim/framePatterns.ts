/**
 * How the frame grid draws a frame: its owner (a process) as the colour, its kind as a pattern,
 * so the grid reads without colour vision and colour keeps one meaning (who). One cell is one
 * canvas pixel, so a pattern is laid over the grid's cells (a run of page-cache frames shows as a
 * hatched area), each cell either the pattern's ink or its ground.
 *
 * Classes are SimView.frames.cells' codes (app/node/services/sim.ts frameClass).
 */
import type { ProcFieldKey } from '../procFields.js';

export type Pattern = 'blank' | 'solid' | 'hatched' | 'back-hatched' | 'dotted' | 'cross-hatched' | 'barred' | 'striped';

export interface FrameClass {
  /** the data attribute's key (tests count pixels per class by it) */
  key: string;
  name: string;
  pattern: Pattern;
  /** drawn in the owning process's colour (anonymous memory); otherwise in neutral greys (nobody's: the kernel's, the page cache's) */
  owned: boolean;
  /** ink and ground as a share of the base colour (owner or the text colour) mixed into the page's background, or 'fg' mixed towards the text colour */
  ink: number | { fg: number };
  ground: number;
  /** the /proc/meminfo line a real kernel counts these frames in (the legend's tooltip) */
  field: ProcFieldKey;
}

/** indexed by class code */
export const FRAME_CLASSES: readonly FrameClass[] = [
  { key: 'free', name: 'free', pattern: 'blank', owned: false, ink: 0, ground: 0, field: 'meminfo.MemFree' },
  { key: 'anonymous', name: 'anonymous', pattern: 'solid', owned: true, ink: 100, ground: 100, field: 'meminfo.AnonPages' },
  { key: 'cache', name: 'page cache', pattern: 'hatched', owned: false, ink: 55, ground: 14, field: 'meminfo.fileClean' },
  { key: 'dirty', name: 'dirty page cache', pattern: 'back-hatched', owned: false, ink: 78, ground: 22, field: 'meminfo.Dirty' },
  { key: 'shmem', name: 'shared memory (tmpfs)', pattern: 'dotted', owned: false, ink: 66, ground: 8, field: 'meminfo.Shmem' },
  { key: 'kernel', name: 'kernel', pattern: 'cross-hatched', owned: false, ink: 92, ground: 38, field: 'meminfo.kernel' },
  { key: 'locked', name: 'locked (mlock)', pattern: 'barred', owned: true, ink: { fg: 35 }, ground: 45, field: 'meminfo.Mlocked' },
  { key: 'shared', name: 'anonymous, shared', pattern: 'striped', owned: true, ink: 85, ground: 32, field: 'meminfo.AnonPages' },
];
export const ANON = 1;
export const SHARED = 7;

/** whether cell (x, y) of the grid is the pattern's ink (else its ground) */
export function inkAt(p: Pattern, x: number, y: number): boolean {
  switch (p) {
    case 'blank': return false;
    case 'solid': return true;
    case 'hatched': return (x + y) % 4 === 0; // ╱
    case 'back-hatched': return (((x - y) % 4) + 4) % 4 === 0; // ╲
    case 'cross-hatched': return (x + y) % 4 === 0 || (((x - y) % 4) + 4) % 4 === 0;
    case 'dotted': return x % 4 < 2 && y % 4 < 2;
    case 'barred': return y % 3 !== 2; // solid, a ground line every third row
    case 'striped': return x % 3 === 0; // a vertical line every third column on a pale ground
  }
}

/** the patterns repeat every TILE cells both ways (the lcm of their periods) */
export const TILE = 12;
/** per class, TILE×TILE flags: 1 where the cell is ink */
export const MASKS: readonly Uint8Array[] = FRAME_CLASSES.map((c) => {
  const m = new Uint8Array(TILE * TILE);
  for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) m[y * TILE + x] = inkAt(c.pattern, x, y) ? 1 : 0;
  return m;
});

/** the CSS colours of a class's ink and ground, from its base (the owner's colour, or the text colour for nobody's frames) */
export function toneCss(c: FrameClass, base: string, bg: string, fg: string, free: string): [string, string] {
  if (c.pattern === 'blank') return [free, free];
  const mix = (share: number) => (share >= 100 ? base : `color-mix(in srgb, ${base} ${share}%, ${bg})`);
  const ink = typeof c.ink === 'number' ? mix(c.ink) : `color-mix(in srgb, ${base} ${100 - c.ink.fg}%, ${fg})`;
  return [ink, mix(c.ground)];
}

/**
 * Paints the cells into an ImageData's words: cell i at (i % cols, i / cols) in its class's ink or
 * ground. tones[o * 16 + k * 2 + (ink ? 0 : 1)] is owner index o's word for class k (owner index
 * 0 is "no known owner"); ownerIdx[i] the cell's owner index.
 */
export function paintCells(px: Uint32Array, kinds: Uint8Array, ownerIdx: Uint16Array, cols: number, tones: Uint32Array): void {
  const n = kinds.length;
  for (let y = 0, i = 0; i < n; y++) {
    const ty = (y % TILE) * TILE;
    for (let x = 0; x < cols && i < n; x++, i++) {
      const k = kinds[i]! & 7;
      const ink = MASKS[k]![ty + (x % TILE)]!;
      px[i] = tones[ownerIdx[i]! * 16 + k * 2 + (ink ? 0 : 1)]!;
    }
  }
}
