import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['app/**/*.test.ts', 'renderer/src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    // a hang still fails, but a test is never failed for being slow on a loaded 2-core machine:
    // speed targets live in npm run bench (the simulator, fuzz and real-run files take 10-60 s there)
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
