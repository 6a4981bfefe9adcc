/**
 * The ONNX sessions of a model, each opened on the device its memory mode places it and released
 * when the mode says so. ONNX Runtime can't move a session between devices, so "unload" means
 * release (its GPU arena goes with it) and "load" means create again from the cached graph.
 *
 * One session per network, except the VAE encoder: it encodes the prompt image (batch 1) and the
 * renders (n_frame, or a chunk of frames) in turn, and on CUDA a session whose input shape changes
 * re-tunes its convolutions (≈ 0.8 s a call at 24×480×704, against 11 ms for a repeated shape).
 * So the image gets its own session of the same graph and each session only ever sees one shape.
 */
import { MEMORY_MODE_INFO, type MemoryMode, type NetworkPlacement } from '../shared/engine/memoryModes';
import type { GraphNetwork } from './model/buildGraphs';
import { networkPlacement } from './networkPlacement';
import { createSession, type GraphSession } from './onnx/session';

/** A session: a network, or the VAE encoder's second session for the prompt image. */
export type NetworkSlot = GraphNetwork | 'VAE encoder (image)';

/** The network (graph and placement) behind each session. */
export function slotNetwork(slot: NetworkSlot): GraphNetwork {
  return slot === 'VAE encoder (image)' ? 'VAE encoder' : slot;
}

const ALL_SLOTS: readonly NetworkSlot[] = ['text encoder', 'VAE encoder', 'VAE encoder (image)', 'transformer', 'recon decoder'];

export interface NetworkSlotsOptions {
  graphs: Record<GraphNetwork, string>;
  /** 'cpu' puts every network on the CPU whatever the memory mode says */
  provider: 'cpu' | 'cuda';
  deviceId: number;
  memoryMode: MemoryMode;
  onOpened?: (slot: NetworkSlot, ms: number) => void;
  /** session factory (tests watch what opens where); default: onnx/session.ts createSession */
  open?: typeof createSession;
}

export class NetworkSlots {
  private readonly open = new Map<NetworkSlot, Promise<GraphSession>>();
  /** time spent creating sessions since the last `takeLoadMs()` */
  private loadMs = 0;

  constructor(private readonly opts: NetworkSlotsOptions) {}

  /** Where a session runs: both VAE encoder sessions where the mode places the VAE. */
  placement(slot: NetworkSlot): NetworkPlacement {
    return networkPlacement(slotNetwork(slot), this.opts.provider, this.opts.memoryMode);
  }

  /** Sessions that stay loaded between generations in this mode. */
  resident(): NetworkSlot[] {
    return this.transientText() ? ALL_SLOTS.filter((n) => n !== 'text encoder') : [...ALL_SLOTS];
  }

  private transientText(): boolean {
    return this.opts.provider === 'cuda' && MEMORY_MODE_INFO[this.opts.memoryMode].textEncoderTransient;
  }

  get(slot: NetworkSlot): Promise<GraphSession> {
    let session = this.open.get(slot);
    if (!session) {
      const started = performance.now();
      const onCpu = this.placement(slot) === 'cpu';
      session = (this.opts.open ?? createSession)(this.opts.graphs[slotNetwork(slot)], { provider: onCpu ? 'cpu' : 'cuda', deviceId: this.opts.deviceId }).then((s) => {
        const ms = performance.now() - started;
        this.loadMs += ms;
        this.opts.onOpened?.(slot, ms);
        return s;
      });
      // A failed open must not stay cached: the next call tries again (e.g. after memory was freed).
      session.catch(() => this.open.delete(slot));
      this.open.set(slot, session);
    }
    return session;
  }

  async release(slots: NetworkSlot[]): Promise<void> {
    await Promise.all(
      slots.map(async (n) => {
        const s = this.open.get(n);
        this.open.delete(n);
        if (s) await s.then((x) => x.release(), () => undefined);
      }),
    );
  }

  async releaseAll(): Promise<void> {
    await this.release([...this.open.keys()]);
  }

  /**
   * Runs the text encoder. In the transient mode the other GPU networks are released first so
   * the text encoder never shares the card with them, and it is released again afterwards (the
   * others reopen on their next use).
   */
  async withTextEncoder<T>(run: (session: GraphSession) => Promise<T>): Promise<T> {
    if (!this.transientText()) return run(await this.get('text encoder'));
    await this.release(this.resident());
    try {
      return await run(await this.get('text encoder'));
    } finally {
      await this.release(['text encoder']);
    }
  }

  takeLoadMs(): number {
    const ms = this.loadMs;
    this.loadMs = 0;
    return ms;
  }
}
