/** Find a Chromium for the e2e tests without downloading one: Debian's, or Playwright's own if installed. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export function chromiumExecutable(): string | null {
  if (process.env.MEMLAB_CHROMIUM && existsSync(process.env.MEMLAB_CHROMIUM)) return process.env.MEMLAB_CHROMIUM;
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  try {
    const require = createRequire(import.meta.url);
    const { chromium } = require('playwright-core') as { chromium: { executablePath(): string } };
    const p = chromium.executablePath();
    if (p && existsSync(p)) return p;
  } catch {
    /* playwright's own browsers are not installed */
  }
  return null;
}

export const CHROMIUM_MISSING =
  'No Chromium found for the e2e tests. Install Debian\'s: sudo apt-get install chromium (or set MEMLAB_CHROMIUM=/path/to/chrome).';
