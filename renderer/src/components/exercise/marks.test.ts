import { describe, expect, it } from 'vitest';
import { isFinished } from './marks.js';

describe('isFinished', () => {
  it('counts every outcome as done (the start page and the sidebar agree with the lab: outcome ≠ open), not a try or nothing', () => {
    expect(['correct', 'after-solution', 'gave-up'].every((s) => isFinished(s as never))).toBe(true);
    expect(isFinished('tried')).toBe(false);
    expect(isFinished('new')).toBe(false);
  });
});
