/**
 * The model manager's three tasks as the studio runs them: the engine-side functions
 * (downloadModel, verifyModel, buildModelGraphs) with their events turned into per-item and
 * total progress. Download and verify run in this process (network and disk: they don't block
 * it); the graph build runs in a process of its own (graphBuildProcess.ts).
 */
import { downloadModel, type ModelDownloadEvent } from '../model/downloadModel';
import { verifyModel } from '../model/verifyModel';
import { formatBytes } from '../../shared/formatBytes';
import { GRAPH_NETWORKS, type GraphNetwork } from '../model/buildGraphs';
import type { HostGraphBuildEvent } from './hostProtocol';
import type { TaskControl, TaskOutcome } from './modelTaskRunner';

const fileId = (repo: string, path: string) => `${repo}/${path}`;
const seconds = (s: number) => (s < 90 ? `${Math.max(1, Math.round(s))} s` : `${Math.round(s / 60)} min`);

export interface DownloadTaskOptions {
  env: NodeJS.ProcessEnv;
  token?: string;
  verifyExisting?: boolean;
  progressIntervalMs: number;
}

export async function runDownloadTask(control: TaskControl, opts: DownloadTaskOptions): Promise<TaskOutcome> {
  const onEvent = (e: ModelDownloadEvent) => {
    switch (e.type) {
      case 'plan':
        control.setItems(
          [...e.plan.files]
            .sort((a, b) => a.size - b.size)
            .map((f) => ({
              id: fileId(f.repo, f.path),
              label: `${f.repo.split('/')[1]}/${f.path}`,
              state: f.state === 'cached' ? 'done' : 'pending',
              done: f.state === 'cached' ? f.size : f.partialBytes,
              total: f.size,
              note: f.state === 'cached' ? 'already downloaded' : f.state === 'partial' ? `resumes from ${formatBytes(f.partialBytes)}` : f.state === 'damaged' ? 'damaged copy; fetched again' : null,
            })),
        );
        control.setTotals({ done: e.plan.cachedBytes + e.plan.files.reduce((a, f) => a + (f.state === 'cached' ? 0 : f.partialBytes), 0), total: e.plan.totalBytes }, true);
        if (e.plan.toDownloadBytes > 0) control.message(`${formatBytes(e.plan.toDownloadBytes)} to download into ${e.plan.hubCache} (${formatBytes(e.plan.freeBytes)} free).`);
        break;
      case 'verify-start':
        control.updateItem(fileId(e.repo, e.path), { state: 'active', note: 'checking the copy in the cache' }, true);
        break;
      case 'file-start':
        control.updateItem(fileId(e.repo, e.path), { state: 'active', done: e.resumeFromBytes, note: e.resumeFromBytes > 0 ? `resumed from ${formatBytes(e.resumeFromBytes)}` : null }, true);
        break;
      case 'progress':
        control.updateItem(fileId(e.repo, e.path), { done: e.fileBytes });
        control.setTotals({ done: e.doneBytes, total: e.totalBytes, bytesPerSecond: e.bytesPerSecond });
        break;
      case 'file-retry':
        control.message(`${e.path}: ${e.reason} at ${formatBytes(e.atBytes)}; retrying (attempt ${e.attempt}).`);
        break;
      case 'file-corrupt':
        control.message(`${e.path} ${e.where === 'cache' ? 'was damaged in the cache' : 'arrived damaged'} (checksum mismatch); fetching it again.`);
        control.updateItem(fileId(e.repo, e.path), { done: 0, note: 'damaged; fetched again' }, true);
        break;
      case 'file-done': {
        const id = fileId(e.repo, e.path);
        const note = e.reused ? 'already downloaded' : (control.snapshot().items.find((i) => i.id === id)?.note ?? null);
        control.updateItem(id, { state: 'done', done: e.size, note }, true);
        break;
      }
      case 'done':
        break;
    }
  };
  const result = await downloadModel({
    env: opts.env,
    token: opts.token,
    verifyExisting: opts.verifyExisting,
    signal: control.signal,
    progressIntervalMs: opts.progressIntervalMs,
    onProgress: onEvent,
  });
  control.setTotals({ done: result.plan.totalBytes, total: result.plan.totalBytes }, true);
  return {
    summary: `Model ready: ${formatBytes(result.downloadedBytes)} downloaded, ${formatBytes(result.reusedBytes)} already there, in ${seconds(result.seconds)}.`,
  };
}

export async function runVerifyTask(control: TaskControl, env: NodeJS.ProcessEnv): Promise<TaskOutcome> {
  let active: string | null = null;
  const finishActive = () => {
    if (!active) return;
    const item = control.snapshot().items.find((i) => i.id === active);
    control.updateItem(active, { state: 'done', done: item?.total ?? 0 }, true);
    control.setTotals({ done: control.snapshot().items.filter((i) => i.state === 'done').length });
    active = null;
  };
  const report = await verifyModel({
    env,
    signal: control.signal,
    onProgress: (e) => {
      finishActive();
      active = fileId(e.repo, e.path);
      control.addItem({ id: active, label: `${e.repo.split('/')[1]}/${e.path}`, state: 'active', done: 0, total: e.size, note: 'hashing' });
      // Files are learned repo by repo: the total grows when the second repo starts.
      const known = control.snapshot().items.length - 1 - e.index + e.of;
      control.setTotals({ total: Math.max(control.snapshot().total, known) }, true);
    },
  });
  finishActive();
  // verifyModel only reports files it found; mark the damaged ones.
  for (const f of report.files) {
    if (f.status !== 'ok') control.updateItem(fileId(f.repo, f.path), { state: 'failed', note: f.status }, true);
  }
  const ok = report.files.filter((f) => f.status === 'ok').length;
  control.setTotals({ done: ok, total: Math.max(report.files.length, ok) }, true);
  if (report.ok) return { summary: `All ${ok} files are intact.` };
  return { summary: `${report.problems.length} problem(s) found.`, problems: report.problems, failed: true };
}

export function buildTaskItems(): { id: string; label: string; state: 'pending'; done: number; total: number; note: null }[] {
  return GRAPH_NETWORKS.map((network) => ({ id: network, label: network, state: 'pending' as const, done: 0, total: 1, note: null }));
}

/** Applies one build event from the builder process to the task. */
export function applyBuildEvent(control: TaskControl, e: HostGraphBuildEvent): void {
  const network = e.network as GraphNetwork;
  if (e.type === 'graph' && e.state === 'cached') control.updateItem(network, { state: 'done', done: 1, note: 'already built' }, true);
  else if (e.type === 'graph') control.updateItem(network, { state: 'active', note: e.state === 'rebuilding' ? `building again (${e.reason ?? 'damaged cache entry'})` : 'building' }, true);
  else control.updateItem(network, { state: 'done', done: 1, note: `built: ${formatBytes(e.bytes)} in ${seconds(e.ms / 1000)}` }, true);
  control.setTotals({ done: control.snapshot().items.filter((i) => i.state === 'done').length, total: GRAPH_NETWORKS.length }, true);
}
