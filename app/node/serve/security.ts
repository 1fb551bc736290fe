/**
 * Who may drive a `memlab serve` lab: only the page we served, in a browser on this machine.
 * - The server binds 127.0.0.1 unless told otherwise.
 * - Each run has a random token, handed to the page inside index.html; the WebSocket must
 *   present it (another local user cannot guess it).
 * - The Origin of the WebSocket must be the lab's own (a web page open in the same browser
 *   cannot connect: browsers always send Origin for WebSockets).
 * - The Host header must name the lab's own address (a DNS-rebinding attack sends its own name).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { CONTENT_SECURITY_POLICY } from '../../common/csp.js';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Host header values that name this server: 127.0.0.1:PORT, localhost:PORT, [::1]:PORT, or the --host given. */
export function allowedHosts(bindHost: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  const wildcard = bindHost === '0.0.0.0' || bindHost === '::';
  if (wildcard) {
    // bound to every interface (--host 0.0.0.0): the lab answers to each of this machine's addresses
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) names.add(a.family === 'IPv6' ? `[${a.address.split('%')[0]}]` : a.address);
    }
  } else if (bindHost !== '127.0.0.1') {
    names.add(bindHost.includes(':') ? `[${bindHost}]` : bindHost);
  }
  const out = new Set<string>();
  for (const n of names) out.add(`${n}:${port}`);
  return out;
}

export function hostAllowed(hostHeader: string | undefined, allowed: Set<string>): boolean {
  return !!hostHeader && allowed.has(hostHeader.toLowerCase());
}

export function originAllowed(origin: string | undefined, allowed: Set<string>): boolean {
  if (!origin) return false;
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && allowed.has(u.host.toLowerCase());
  } catch {
    return false;
  }
}

/** The Content-Security-Policy of every page the lab serves (the same as Electron's). */
export function contentSecurityPolicy(): string {
  return CONTENT_SECURITY_POLICY;
}
