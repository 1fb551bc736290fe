/**
 * Who may drive a `memlab serve` lab: only the user who started it, in a browser on this machine.
 * - The server binds 127.0.0.1 unless told otherwise.
 * - Each run has a random token. As Jupyter does, it travels only in the URL printed to the
 *   starting user's terminal (and opened by --open / npm start); the first visit exchanges it for
 *   an HttpOnly, SameSite=Strict cookie and is redirected to the clean URL. The page never
 *   carries the token: a client that did not present it cannot scrape it. Every route (the page,
 *   /pack-assets/, the WebSocket) needs the cookie or the token.
 * - On Linux, a loopback connection from a socket owned by another uid is refused before it is
 *   read (the peer's uid comes from /proc/net/tcp{,6}), so a leaked token is not enough.
 * - The Origin of the WebSocket must be the lab's own (a web page open in the same browser
 *   cannot connect: browsers always send Origin for WebSockets).
 * - The Host header must name the lab's own address (a DNS-rebinding attack sends its own name).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** The cookie that carries the token after the first visit: one per port (cookies ignore ports). */
export function cookieName(port: number): string {
  return `memlab-${port}`;
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The token in a Cookie header, if any. */
export function tokenFromCookie(header: string | undefined, port: number): string | undefined {
  if (!header) return undefined;
  const name = cookieName(port);
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/i, '');
  return /^127\./.test(a) || a === '::1';
}

/**
 * The uid owning the client end of a loopback TCP connection, from /proc/net/tcp and tcp6: the
 * row whose local port is the client's and remote port is the server's. undefined where /proc
 * cannot tell (no /proc, another network namespace); null when /proc is there but has no row.
 */
export function peerUid(clientPort: number, serverPort: number, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number | null | undefined {
  const hex = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  const local = `:${hex(clientPort)}`;
  const remote = `:${hex(serverPort)}`;
  let readable = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = read(file);
    } catch {
      continue;
    }
    readable = true;
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 7 && cols[1]!.endsWith(local) && cols[2]!.endsWith(remote)) return Number(cols[7]);
    }
  }
  return readable ? null : undefined;
}
