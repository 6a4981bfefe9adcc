/**
 * A session factory for the runtime's `openSession` that records, per session, its graph, every
 * distinct set of feed shapes it ran and whether it was released (sessions open on the CPU EP).
 */
import { basename } from 'node:path';
import { createSession, type GraphSession } from '../../src/engine/onnx/session';

export interface WatchedSession {
  /** the graph's file name, e.g. wan_vae_encoder.onnx */
  graph: string;
  /** each distinct set of feed shapes run, as "name[d0,d1] name[…]" sorted by name */
  shapes: Set<string>;
  released: boolean;
}

export function watchedOpen(into: WatchedSession[]): typeof createSession {
  return async (path, opts) => {
    const s = await createSession(path, { ...opts, provider: 'cpu' });
    const rec: WatchedSession = { graph: basename(path), shapes: new Set(), released: false };
    into.push(rec);
    const watched: GraphSession = {
      ...s,
      run: (feeds) => {
        rec.shapes.add(Object.keys(feeds).sort().map((k) => `${k}[${feeds[k].shape}]`).join(' '));
        return s.run(feeds);
      },
      release: async () => {
        rec.released = true;
        await s.release();
      },
    };
    return watched;
  };
}
