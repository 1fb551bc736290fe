/**
 * The other client of bench/worst.ts, in a process of its own: an app.ping every 50 ms (the next
 * one only once the last is answered), each answer's latency in ms printed as a line.
 */
import WebSocket from 'ws';

const [url, origin] = process.argv.slice(2) as [string, string];
const ws = new WebSocket(url, { origin });
let n = 0;
let sentAt = 0;
let waiting = false;
ws.on('message', (d) => {
  const m = JSON.parse(String(d)) as { id?: number };
  if (m.id !== n || !waiting) return;
  waiting = false;
  process.stdout.write(`${performance.now() - sentAt}\n`);
});
ws.on('open', () => {
  setInterval(() => {
    if (waiting) return;
    waiting = true;
    sentAt = performance.now();
    ws.send(JSON.stringify({ v: 1, id: ++n, method: 'app.ping', params: { nonce: String(n) } }));
  }, 50);
});
ws.on('close', () => process.exit(0));
