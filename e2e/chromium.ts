/** Re-exported for the Playwright config and specs: one finder, in scripts/chromium.mjs. */
export { chromiumExecutable, CHROMIUM_MISSING } from '../scripts/chromium.mjs';
