/**
 * The four ONNX sessions of a model, each opened on the device its memory mode places it and
 * released when the mode says so. ONNX Runtime can't move a session between devices, so "unload"
 * means release (its GPU arena goes with it) and "load" means create again from the cached graph.
 */
import { MEMORY_MODE_INFO, type MemoryMode, type NetworkPlacement } from '../shared/engine/memoryModes';
import type { GraphNetwork } from './model/buildGraphs';
import { networkPlacement } from './networkPlacement';
import { createSession, type GraphSession } from './onnx/session';

export interface NetworkSlotsOptions {
  graphs: Record<GraphNetwork, string>;
  /** 'cpu' puts every network on the CPU whatever the memory mode says */
  provider: 'cpu' | 'cuda';
  deviceId: number;
  memoryMode: MemoryMode;
  onOpened?: (network: GraphNetwork, ms: number) => void;
  /** session factory (tests watch what opens where); default: onnx/session.ts createSession */
  open?: typeof createSession;
}

export class NetworkSlots {
  private readonly open = new Map<GraphNetwork, Promise<GraphSession>>();
  /** time spent creating sessions since the last `takeLoadMs()` */
  private loadMs = 0;

  constructor(private readonly opts: NetworkSlotsOptions) {}

  placement(network: GraphNetwork): NetworkPlacement {
    return networkPlacement(network, this.opts.provider, this.opts.memoryMode);
  }

  /** Networks that stay loaded between generations in this mode. */
  resident(): GraphNetwork[] {
    const all: GraphNetwork[] = ['text encoder', 'VAE encoder', 'transformer', 'recon decoder'];
    return this.transientText() ? all.filter((n) => n !== 'text encoder') : all;
  }

  private transientText(): boolean {
    return this.opts.provider === 'cuda' && MEMORY_MODE_INFO[this.opts.memoryMode].textEncoderTransient;
  }

  get(network: GraphNetwork): Promise<GraphSession> {
    let session = this.open.get(network);
    if (!session) {
      const started = performance.now();
      const onCpu = this.placement(network) === 'cpu';
      session = (this.opts.open ?? createSession)(this.opts.graphs[network], { provider: onCpu ? 'cpu' : 'cuda', deviceId: this.opts.deviceId }).then((s) => {
        const ms = performance.now() - started;
        this.loadMs += ms;
        this.opts.onOpened?.(network, ms);
        return s;
      });
      // A failed open must not stay cached: the next call tries again (e.g. after memory was freed).
      session.catch(() => this.open.delete(network));
      this.open.set(network, session);
    }
    return session;
  }

  async release(networks: GraphNetwork[]): Promise<void> {
    await Promise.all(
      networks.map(async (n) => {
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
