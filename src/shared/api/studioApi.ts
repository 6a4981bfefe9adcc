/**
 * The one interface the renderer talks to. Two transports implement it (preload IPC in the
 * Electron app, WebSocket in serve mode); nothing in the renderer knows which one it has.
 */
import type { MethodArgs, MethodResult, StudioMethodName } from './methods';
import type { StudioEvent } from './events';

export type StudioCalls = {
  [M in StudioMethodName]: (...args: MethodArgs<M>) => Promise<MethodResult<M>>;
};

export interface StudioApi extends StudioCalls {
  /** Subscribes to backend events; returns the unsubscribe function. */
  onEvent(listener: (event: StudioEvent) => void): () => void;
}

/** The backend side: the same calls, plus the event source the transports forward. */
export type StudioBackend = StudioCalls;
