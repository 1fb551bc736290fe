/** The link to the main-process services: status, app info, the live heartbeat, ping. */
import type { AppInfo, Heartbeat } from '@api/core';
import { api } from '../api/index.js';

class ConnectionStore {
  status = $state<'connecting' | 'open' | 'closed'>('connecting');
  info = $state<AppInfo | null>(null);
  heartbeat = $state<Heartbeat | null>(null);
  lastPingMs = $state<number | null>(null);
  error = $state<string | null>(null);
  /** the last notice a service sent (e.g. a pack the menu could not open) */
  notice = $state<{ level: string; text: string } | null>(null);

  constructor() {
    api.onStatus((s) => {
      this.status = s;
      if (s === 'open') this.refresh();
    });
    api.on('app.heartbeat', (h) => (this.heartbeat = h));
    api.on('app.notice', (n) => (this.notice = n));
  }

  async refresh(): Promise<void> {
    try {
      this.info = await api.call('app.info', {});
      this.error = null;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  async ping(): Promise<number> {
    const t0 = performance.now();
    const nonce = Math.random().toString(36).slice(2);
    const r = await api.call('app.ping', { nonce });
    if (r.nonce !== nonce) throw new Error('ping answered with another nonce');
    this.lastPingMs = performance.now() - t0;
    return this.lastPingMs;
  }
}

export const connection = new ConnectionStore();
