import { describe, expect, it } from 'vitest';
import { FRAME_CLASSES, MASKS, paintCells, TILE } from './framePatterns.js';

describe('the frame grid patterns', () => {
  it('tell every class from every other by the pattern alone (no two classes draw the same tile)', () => {
    const tiles = MASKS.map((m) => m.join(''));
    expect(new Set(tiles).size).toBe(FRAME_CLASSES.length);
    // and every pattern but blank and solid has both ink and ground in a tile, so it shows as a texture
    FRAME_CLASSES.forEach((c, k) => {
      const ink = MASKS[k]!.reduce((a, b) => a + b, 0);
      if (c.pattern === 'blank') expect(ink).toBe(0);
      else if (c.pattern === 'solid') expect(ink).toBe(TILE * TILE);
      else {
        expect(ink, c.pattern).toBeGreaterThan(0);
        expect(ink, c.pattern).toBeLessThan(TILE * TILE);
      }
    });
  });
  it('paints each cell its owner\'s tone for its class, ink or ground as the pattern says at its place in the grid', () => {
    const cols = 5;
    const kinds = Uint8Array.from({ length: 23 }, (_, i) => i % 8);
    const owners = Uint16Array.from({ length: 23 }, (_, i) => i % 3);
    // a distinct word per owner, class and ink/ground
    const tones = Uint32Array.from({ length: 3 * 16 }, (_, i) => 1000 + i);
    const px = new Uint32Array(25);
    paintCells(px, kinds, owners, cols, tones);
    for (let i = 0; i < 23; i++) {
      const [x, y] = [i % cols, Math.floor(i / cols)];
      const ink = MASKS[kinds[i]!]![(y % TILE) * TILE + (x % TILE)];
      expect(px[i]).toBe(1000 + owners[i]! * 16 + kinds[i]! * 2 + (ink ? 0 : 1));
    }
    expect(px[23]).toBe(0);
  });
});
