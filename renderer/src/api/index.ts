/**
 * The one LabApi the views use. Inside Electron the preload bridge is there; in a browser
 * (memlab serve) the WebSocket client is used. Views never know which.
 */
import type { LabApi } from '@api/index';
import { createIpcApi } from './ipc.js';
import { createSocketApi } from './socket.js';

export const api: LabApi = window.memlabBridge ? createIpcApi(window.memlabBridge) : createSocketApi();
export type { LabApi };
