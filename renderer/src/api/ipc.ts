/** LabApi over Electron IPC, through the preload bridge (contextBridge: window.memlabBridge). */
import { RpcClient } from '@api/client';
import type { RequestEnvelope } from '@api/protocol';

export interface MemlabBridge {
  invoke(request: RequestEnvelope): Promise<unknown>;
  onEvent(handler: (envelope: unknown) => void): void;
}

declare global {
  interface Window {
    memlabBridge?: MemlabBridge;
  }
}

export function createIpcApi(bridge: MemlabBridge): RpcClient {
  const client = new RpcClient(
    'ipc',
    {
      send(request) {
        bridge.invoke(request).then(
          (response) => client.receive(response),
          (err: unknown) => client.receive({ v: 1, id: request.id, ok: false, error: { code: 'internal', message: String(err) } }),
        );
      },
    },
    (message) => console.warn(`[memlab] ${message}`),
  );
  bridge.onEvent((envelope) => client.receive(envelope));
  client.setStatus('open');
  return client;
}
