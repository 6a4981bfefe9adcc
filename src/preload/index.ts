/**
 * The only bridge between the sandboxed renderer and main: `window.studioIpc`, one function per
 * StudioApi method (answering with an {ok, value | error} envelope, so error codes survive the
 * bridge) and an event subscription. No ipcRenderer, no Node, nothing else.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { STUDIO_METHOD_NAME_LIST } from '../shared/api/methodNames';

const IPC_CALL_PREFIX = 'studio:';
const IPC_EVENT_CHANNEL = 'studio:event';

const calls: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
for (const method of STUDIO_METHOD_NAME_LIST) {
  calls[method] = (...args: unknown[]) => ipcRenderer.invoke(`${IPC_CALL_PREFIX}${method}`, ...args);
}

contextBridge.exposeInMainWorld('studioIpc', {
  calls,
  onEvent(listener: (event: unknown) => void): () => void {
    const handler = (_e: IpcRendererEvent, event: unknown) => listener(event);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
  },
});
