/**
 * StudioApi over a WebSocket (serve mode). Calls carry an id and come back as replies; events
 * arrive unasked. Frames are binary (header JSON + raw bytes), so splat files stay binary.
 * File picking and saving run locally in the browser (injected `shell`), never on the server.
 * Reconnects after a drop; calls made while disconnected wait for the socket.
 */
import { decodeFrame, encodeFrame } from '../../../shared/api/binaryCodec';
import { errorFromInfo, serverMessageSchema } from '../../../shared/api/protocol';
import { STUDIO_METHOD_NAMES, studioMethods, type StudioMethodName } from '../../../shared/api/methods';
import type { StudioEvent } from '../../../shared/api/events';
import type { StudioApi, StudioCalls } from '../../../shared/api/studioApi';
import { StudioError } from '../../../shared/errors';

/** The subset of the browser WebSocket we use (Node tests pass the `ws` package's class). */
interface SocketLike {
  binaryType: string;
  readyState: number;
  send(data: Uint8Array): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface WsTransportOptions {
  url: string;
  createSocket: (url: string) => SocketLike;
  shell: Pick<StudioCalls, 'pickFile' | 'saveFile'>;
  /** connection state for the UI ("Reconnecting…") */
  onConnection?: (connected: boolean) => void;
  reconnectDelayMs?: number;
}

export interface WsStudioApi extends StudioApi {
  close(): void;
}

const OPEN = 1;

export function createWsStudioApi(options: WsTransportOptions): WsStudioApi {
  const listeners = new Set<(event: StudioEvent) => void>();
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; method: StudioMethodName }>();
  const outbox: Uint8Array[] = [];
  let nextId = 1;
  let socket: SocketLike;
  let closed = false;

  function toBytes(data: unknown): Uint8Array | null {
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (data instanceof Uint8Array) return data;
    return null;
  }

  function connect(): void {
    socket = options.createSocket(options.url);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      options.onConnection?.(true);
      for (const frame of outbox.splice(0)) socket.send(frame);
    };
    socket.onclose = () => {
      options.onConnection?.(false);
      // Replies to calls in flight are lost with the socket: fail them rather than hang.
      for (const [id, p] of pending) {
        p.reject(new StudioError('IO_FAILED', `Lost the connection to the studio server during ${p.method}. It reconnects by itself; try again.`));
        pending.delete(id);
      }
      if (!closed) setTimeout(connect, options.reconnectDelayMs ?? 1000);
    };
    socket.onmessage = (ev) => {
      const bytes = toBytes(ev.data);
      if (!bytes) return;
      let message;
      try {
        message = serverMessageSchema.parse(decodeFrame(bytes));
      } catch {
        return; // not ours: ignore rather than crash the UI
      }
      if (message.kind === 'event') {
        for (const l of listeners) l(message.event);
        return;
      }
      const p = pending.get(message.id);
      if (!p) return;
      pending.delete(message.id);
      if (message.ok) p.resolve(message.value);
      else p.reject(errorFromInfo(message.error));
    };
  }
  connect();

  function call(method: StudioMethodName, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, {
        method,
        reject,
        resolve: (value) => {
          // Results are checked too: a server of another version must not poison the stores.
          const parsed = studioMethods[method].result.safeParse(value);
          if (parsed.success) resolve(parsed.data);
          else reject(new StudioError('INVALID_MESSAGE', `The server's answer to ${method} is malformed (${parsed.error.issues[0]?.message}). Restart the server and reload.`));
        },
      });
      const frame = encodeFrame({ kind: 'call', id, method, args });
      if (socket.readyState === OPEN) socket.send(frame);
      else outbox.push(frame);
    });
  }

  const api = {
    onEvent(listener: (event: StudioEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      socket.close();
    },
  } as unknown as WsStudioApi;
  const calls = api as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of STUDIO_METHOD_NAMES) {
    calls[method] = (...args: unknown[]) => call(method, args);
  }
  api.pickFile = options.shell.pickFile;
  api.saveFile = options.shell.saveFile;
  return api;
}
