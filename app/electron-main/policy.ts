/**
 * The Electron shell's security policy as plain data and pure functions, kept apart from the
 * code that applies it so tests can check it without an Electron binary. It follows Electron's
 * security checklist: isolation, sandbox, no Node in the renderer, a strict CSP, no navigation,
 * no new windows, no permissions, every IPC sender checked, and no network at all.
 */

/** The renderer is served from this privileged custom scheme, never from file:// or http. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'memlab';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

export const WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
  safeDialogs: true,
});

export { CONTENT_SECURITY_POLICY } from '../common/csp.js';

/** Channels the preload bridge uses. */
export const IPC_CALL = 'memlab:call';
export const IPC_EVENT = 'memlab:event';

/** Is this URL on the app's own scheme and host? (URL.origin is 'null' for custom schemes, so compare parts.) */
export function isAppUrl(url: string | URL): boolean {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * May the app load this URL at all? Only its own scheme and host. `devtools:` only in development
 * (an unpackaged app); `data:`, `blob:`, `file:` and every network scheme never.
 */
export function isAllowedRequest(url: string, opts: { dev?: boolean } = {}): boolean {
  try {
    const u = new URL(url);
    if (u.protocol === `${APP_SCHEME}:`) return u.host === APP_HOST;
    return !!opts.dev && u.protocol === 'devtools:';
  } catch {
    return false;
  }
}

/** Navigation away from the app page is never allowed (a link in a pack, a drag-and-dropped file). */
export function isAllowedNavigation(url: string, currentUrl: string): boolean {
  try {
    const target = new URL(url);
    const current = new URL(currentUrl);
    // only in-page navigation (hash routes) on the app's own page
    return isAppUrl(target) && isAppUrl(current) && target.pathname === current.pathname;
  } catch {
    return false;
  }
}

/**
 * Is an IPC message from the app's own top-level page? The frame's URL must be exactly the page
 * the app loads (its hash route aside): another path on the app's scheme, a query, an iframe or
 * any other origin is not trusted.
 */
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined): boolean {
  if (!frame) return false;
  if (frame.parent) return false;
  if (typeof frame.url !== 'string') return false;
  const hash = frame.url.indexOf('#');
  return (hash < 0 ? frame.url : frame.url.slice(0, hash)) === APP_URL;
}

/** Every permission request (camera, notifications, geolocation, ...) is refused. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}
