import { defineConfig } from '@playwright/test';
import { chromiumExecutable } from './scripts/chromium.mjs';

export default defineConfig({
  testDir: 'e2e',
  // waits, not speed targets: the lab's first scenario list and a worker's start can take seconds on
  // a loaded 2-core machine (speed is measured by npm run bench)
  timeout: 120_000,
  expect: { timeout: 20_000 },
  // tests, not files, are dealt to the workers: each test has its own memlab serve and page, and by
  // files one worker sat idle for minutes while the other ran the last long file (workbench, 19 tests)
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: process.env.MEMLAB_PW_JSON ? [['list'], ['json', { outputFile: process.env.MEMLAB_PW_JSON }]] : [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: chromiumExecutable() ?? undefined,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
    trace: 'off',
  },
});
