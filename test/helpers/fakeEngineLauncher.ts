/**
 * An engine "process" that runs the real host message loop (hostWorker) in this process with a
 * fake runtime: random Gaussians after timed stages. For unit tests of the queue, supervisor and
 * service only; end-to-end tests use the real engine.
 */
import { createHostWorker, type HostRuntime } from '../../src/engine/service/hostWorker';
import type { EngineExit, EngineLauncher, EngineProcess } from '../../src/engine/service/engineProcess';
import type { HostRequest } from '../../src/engine/service/hostProtocol';
import { StudioError } from '../../src/shared/errors';
import { writeFile } from 'node:fs/promises';
import { float32Data } from '../../src/engine/pipeline/floatData';

export interface FakeEngineControl {
  launches: number;
  /** the live fake processes, newest last */
  processes: { crash(exit?: EngineExit): void; sent: HostRequest[] }[];
  stepDelayMs: number;
  splatsPerJob: number;
}

function fakeRuntime(control: FakeEngineControl): HostRuntime {
  return {
    info: { label: 'Fake engine', randomWeights: true },
    async generateScene(request, options) {
      const wait = () => new Promise((r) => setTimeout(r, control.stepDelayMs));
      const check = () => {
        if (options.signal?.aborted) throw new StudioError('CANCELLED', 'cancelled');
      };
      options.onStage?.({ stage: 'text' });
      await wait();
      check();
      for (let step = 1; step <= 4; step++) {
        for (const part of step < 4 ? (['transformer', 'decode', 'render', 'encode'] as const) : (['transformer', 'decode'] as const)) {
          options.onStage?.({ stage: 'step', step, of: 4, part });
          await wait();
          check();
        }
      }
      const n = control.splatsPerJob;
      const gaussians = new Float32Array(n * 38);
      let s = options.seed ?? 1;
      const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
      for (let i = 0; i < n; i++) {
        const o = i * 38;
        gaussians.set([rnd() - 0.5, rnd() - 0.5, -1 - rnd(), 0.5 + rnd() / 2, 0.01, 0.01, 0.01, 1, 0, 0, 0], o);
        for (let k = 11; k < 38; k++) gaussians[o + k] = rnd() - 0.5;
      }
      options.onStage?.({ stage: 'done' });
      const cam = [1, 0, 0, 0, 0, 0, 0, 0.5, 0.75, 0.5, 0.5];
      return { gaussians: float32Data(gaussians), count: n, tNorm: 1, cameras: Float32Array.from([...cam, ...cam]), timingsMs: { text: control.stepDelayMs } };
    },
  };
}

export function fakeEngineLauncher(partial: Partial<FakeEngineControl> = {}): { launcher: EngineLauncher; control: FakeEngineControl } {
  const control: FakeEngineControl = { launches: 0, processes: [], stepDelayMs: 5, splatsPerJob: 200, ...partial };
  const launcher: EngineLauncher = () => {
    control.launches++;
    const messageListeners: ((m: unknown) => void)[] = [];
    const exitListeners: ((e: EngineExit) => void)[] = [];
    let alive = true;
    const sent: HostRequest[] = [];
    const handle = createHostWorker(
      // Structured clone, as between processes: no shared objects.
      (reply) => alive && setImmediate(() => alive && messageListeners.forEach((l) => l(structuredClone(reply)))),
      async ({ onLoadFraction }) => {
        onLoadFraction(0.5);
        await new Promise((r) => setTimeout(r, control.stepDelayMs));
        return fakeRuntime(control);
      },
      // A stand-in MP4: the bytes name the scene so tests can tell videos apart.
      async (path, gaussians) => writeFile(path, `fake mp4 of ${gaussians.data.length / 38} splats`),
    );
    const crash = (exit: EngineExit = { code: null, signal: 'SIGKILL' }) => {
      if (!alive) return;
      alive = false;
      setImmediate(() => exitListeners.forEach((l) => l(exit)));
    };
    control.processes.push({ crash, sent });
    const proc: EngineProcess = {
      pid: 1000 + control.launches,
      send(message) {
        if (!alive) return;
        sent.push(message);
        handle(structuredClone(message));
      },
      onMessage: (l) => messageListeners.push(l),
      onExit: (l) => exitListeners.push(l),
      kill: () => crash(),
      stderrTail: () => 'CUDA error: out of memory',
    };
    return proc;
  };
  return { launcher, control };
}
