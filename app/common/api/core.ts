/** LabApi: the app itself (version, ping, capabilities, heartbeat). */
import { z } from 'zod';
import { method } from './protocol.js';

export const AppInfo = z.object({
  name: z.literal('memlab'),
  version: z.string(),
  apiVersion: z.number().int(),
  /** Which host runs the main-process services. */
  host: z.enum(['electron', 'serve']),
  platform: z.string(),
  /** Does this machine have a Linux /proc the host panel can read? */
  procAvailable: z.boolean(),
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const coreMethods = {
  'app.info': method(z.object({}).strict(), AppInfo, 'What is serving the lab, and what it can do here.'),
  'app.ping': method(
    z.object({ nonce: z.string().max(200) }).strict(),
    z.object({ nonce: z.string(), serverTime: z.number() }),
    'Round trip: echoes the nonce with the server clock.',
  ),
};

export const Heartbeat = z.object({
  seq: z.number().int().nonnegative(),
  uptimeMs: z.number().nonnegative(),
  /** Main process memory, from process.memoryUsage(): the lab watching itself. */
  rssBytes: z.number().nonnegative(),
  heapUsedBytes: z.number().nonnegative(),
});
export type Heartbeat = z.infer<typeof Heartbeat>;

export const coreEvents = {
  /** Once a second while a client is connected: proves the live event stream. */
  'app.heartbeat': Heartbeat,
  /** A service logged something a user should see (bad message, recovered file, ...). */
  'app.notice': z.object({ level: z.enum(['info', 'warning', 'error']), text: z.string() }),
};
