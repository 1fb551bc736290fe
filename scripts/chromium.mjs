// Find a Chromium for the e2e tests without downloading one: Debian's, or Playwright's own if
// it is already installed. Shared by scripts/test.mjs and the Playwright config.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** @returns {string | null} */
export function chromiumExecutable() {
  const fromEnv = process.env.MEMLAB_CHROMIUM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  try {
    const require = createRequire(import.meta.url);
    const p = require('playwright-core').chromium.executablePath();
    if (p && existsSync(p)) return p;
  } catch {
    /* Playwright's own browsers are not installed */
  }
  return null;
}

export const CHROMIUM_MISSING =
  "No Chromium for the e2e tests. On Debian/Ubuntu: sudo apt-get install chromium (or point MEMLAB_CHROMIUM at a Chrome/Chromium binary). memlab never downloads a browser.";
