/**
 * Builds a model's graphs in an engine process of its own: the full model takes minutes of CPU
 * (weights converted tensor by tensor), which must not stall the Electron main process or the
 * serve-mode server, nor wait behind (or slow down) the engine that runs jobs. Cancelling kills
 * that process; the graph cache removes a dead process's temporary folder on the next build.
 */
import { StudioError } from '../../shared/errors';
import { describeExit } from './engineSupervisor';
import type { EngineLauncher } from './engineProcess';
import { hostReplySchema, type HostBuild, type HostGraphBuildEvent } from './hostProtocol';

export interface GraphBuildOutcome {
  graphs: Record<string, string>;
  built: number;
  cached: number;
}

export function buildGraphsInProcess(
  launcher: EngineLauncher,
  request: Omit<HostBuild, 'type' | 'taskId'>,
  onEvent: (event: HostGraphBuildEvent) => void,
  signal: AbortSignal,
): Promise<GraphBuildOutcome> {
  return new Promise<GraphBuildOutcome>((resolve, reject) => {
    if (signal.aborted) {
      reject(new StudioError('CANCELLED', 'The graph build was cancelled.'));
      return;
    }
    const proc = launcher(0);
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      proc.kill();
      fn();
    };
    const onAbort = () => finish(() => reject(new StudioError('CANCELLED', 'The graph build was cancelled; graphs already built are kept.')));
    signal.addEventListener('abort', onAbort);
    proc.onMessage((raw) => {
      const parsed = hostReplySchema.safeParse(raw);
      if (!parsed.success) return;
      const msg = parsed.data;
      if (msg.type === 'buildEvent') onEvent(msg.event);
      else if (msg.type === 'buildDone') finish(() => resolve({ graphs: msg.graphs, built: msg.built, cached: msg.cached }));
      else if (msg.type === 'buildFailed') finish(() => reject(new StudioError(msg.code as StudioError['code'], msg.message)));
    });
    proc.onExit((exit) => {
      finish(() =>
        reject(new StudioError('GRAPH_BUILD_FAILED', `${describeExit(exit, proc.stderrTail()).replace('The engine process', 'The graph builder')}. If memory ran out, close other programs and build again; finished graphs are kept.`)),
      );
    });
    proc.send({ type: 'buildGraphs', taskId: 1, ...request });
  });
}
