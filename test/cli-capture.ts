/**
 * Tests of the `memlab` commands run them in-process: what a command writes to stdout and stderr
 * is captured (and kept off the test's own output), and the code it returns is its exit status.
 */
import { vi } from 'vitest';

/** Capture stdout and stderr until `restore()` (or vitest's restoreAllMocks) puts them back. */
export function capture(): { out: () => string; err: () => string; restore: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    restore: () => {
      o.mockRestore();
      e.mockRestore();
    },
  };
}

/** Run one command's entry point (`run(argv)` of app/cli/*.ts) with its output captured. */
export async function runCli(run: (argv: string[]) => Promise<number> | number, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  try {
    const code = await run(args);
    return { code, out: c.out(), err: c.err() };
  } finally {
    c.restore();
  }
}
