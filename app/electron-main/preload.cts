// The preload bridge: runs sandboxed (CommonJS, only `electron`'s renderer modules), exposes
// exactly two functions to the page through contextBridge, and nothing of Node or ipcRenderer.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload is CommonJS
import electron = require('electron');

const { contextBridge, ipcRenderer } = electron;

const IPC_CALL = 'memlab:call';
const IPC_EVENT = 'memlab:event';

contextBridge.exposeInMainWorld('memlabBridge', {
  invoke: (request: unknown): Promise<unknown> => ipcRenderer.invoke(IPC_CALL, request),
  onEvent: (handler: (envelope: unknown) => void): void => {
    ipcRenderer.on(IPC_EVENT, (_event, envelope: unknown) => handler(envelope));
  },
});
