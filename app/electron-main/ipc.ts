/**
 * The only way to register an IPC handler in memlab: `handleTrusted` checks the sender frame
 * before the handler sees anything. test/electron-security.test.ts fails if ipcMain.handle is
 * called any other way.
 */
import type { IpcMainInvokeEvent } from 'electron';
import { isTrustedSender } from './policy.js';

export type IpcMainLike = {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
};

export function handleTrusted(
  ipcMain: IpcMainLike,
  channel: string,
  listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown,
  onRefused: (url: string) => void,
): void {
  ipcMain.handle(channel, (event, ...args) => {
    if (!isTrustedSender(event.senderFrame)) {
      onRefused(event.senderFrame?.url ?? '(no frame)');
      throw new Error('memlab: IPC refused: the sender is not the memlab page');
    }
    return listener(event, ...args);
  });
}
