/**
 * Relays renderer calls to the service. One `ipcMain.handle` per StudioApi method; every handler
 * first checks the sender (our window's main frame, loaded from our own files), then the
 * arguments against the contract, and answers with a plain envelope — Electron's own error
 * passing drops error codes, and the UI switches on them.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { STUDIO_METHOD_NAMES } from '../shared/api/methods';
import { errorToInfo } from '../shared/api/protocol';
import { StudioError } from '../shared/errors';
import type { CallRouter } from '../engine/service/callRouter';

export const IPC_CALL_PREFIX = 'studio:';
export const IPC_EVENT_CHANNEL = 'studio:event';

export type IpcEnvelope = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/**
 * Trusted = sent by the studio window's webContents, from its top frame, whose URL is the
 * renderer we loaded (file:// in production, the dev server in development).
 */
export function senderCheck(getWindowWebContentsId: () => number | null, allowedUrl: (url: string) => boolean): SenderCheck {
  return (event) => {
    const frame = event.senderFrame;
    if (!frame || event.sender.id !== getWindowWebContentsId()) return false;
    if (frame.parent !== null) return false;
    return allowedUrl(frame.url);
  };
}

export function registerIpcHandlers(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, route: CallRouter, isTrusted: SenderCheck): () => void {
  for (const method of STUDIO_METHOD_NAMES) {
    ipcMain.handle(`${IPC_CALL_PREFIX}${method}`, async (event, ...args: unknown[]): Promise<IpcEnvelope> => {
      try {
        if (!isTrusted(event)) {
          throw new StudioError('FORBIDDEN', `A call to ${method} came from a page that is not the studio; it was refused.`);
        }
        return { ok: true, value: await route(method, args) };
      } catch (error) {
        return { ok: false, error: errorToInfo(error) };
      }
    });
  }
  return () => STUDIO_METHOD_NAMES.forEach((m) => ipcMain.removeHandler(`${IPC_CALL_PREFIX}${m}`));
}
