import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    // a hang still fails, but a test is never failed for being slow on a loaded 2-core machine:
    // speed targets live in npm run bench (the simulator, fuzz and real-run files take 10-60 s there)
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['app/**/*.test.ts', 'renderer/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/fidelity/**'],
          // one fork per core: vitest's default is one fewer than the cores, which on a 2-core machine
          // runs every file one after another with a core idle (425 s of npm test); these files share
          // nothing (each makes its own temp and data dirs, servers listen on port 0)
          maxWorkers: availableParallelism(),
        },
      },
      {
        extends: true,
        test: {
          name: 'fidelity',
          include: ['test/fidelity/**/*.test.ts'],
          // the fidelity files measure this kernel (fault counts, the OOM killer's victim in a cgroup,
          // swap readahead) and turn swap files on machine-wide: they run after the others, one at a
          // time, so no other file's memory use is in what they measure
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
