/** LabApi over the `memlab serve` WebSocket (browser host). */
import { RpcClient } from '@api/client';
import type { RequestEnvelope } from '@api/protocol';

/**
 * The page never holds the lab's token: the first visit exchanged it for an HttpOnly cookie, which
 * the browser sends with the WebSocket handshake (same site), so no script can read or leak it.
 */
export function createSocketApi(loc: Location = location): RpcClient {
  const url = `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api`;
  let ws: WebSocket | null = null;
  let queue: RequestEnvelope[] = [];
  let retry = 250;
  /** the link was up once: a later open is a reconnection (the lab's server restarted) */
  let wasOpen = false;
  let failures = 0;
  const client = new RpcClient(
    'socket',
    {
      send(request) {
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(request));
        else queue.push(request);
      },
    },
    (message) => console.warn(`[memlab] ${message}`),
  );
  const connect = () => {
    client.setStatus('connecting');
    ws = new WebSocket(url);
    ws.onopen = () => {
      retry = 250;
      if (wasOpen) client.notify(failures > 0 ? 'The lab was restarted; reconnected. Your progress is kept on disk.' : 'Reconnected to the lab.');
      wasOpen = true;
      failures = 0;
      client.setStatus('open');
      const q = queue;
      queue = [];
      for (const r of q) ws!.send(JSON.stringify(r));
    };
    ws.onmessage = (ev) => {
      try {
        client.receive(JSON.parse(String(ev.data)));
      } catch {
        console.warn('[memlab] a message from the lab was not JSON');
      }
    };
    ws.onclose = () => {
      client.setStatus('closed');
      failures++;
      // refused rather than gone? a lab started with another data directory has another token
      if (failures === 3)
        void fetch(`${loc.protocol}//${loc.host}/`, { method: 'HEAD', credentials: 'same-origin', cache: 'no-store' })
          .then((r) => {
            if (r.status === 403) client.notify('The lab was restarted with a new token: open the link memlab serve printed in its terminal.', 'error');
          })
          .catch(() => client.notify('The lab is not running: start it again (npm start or memlab serve); this page reconnects by itself.', 'error'));
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 2000);
    };
  };
  connect();
  return client;
}
