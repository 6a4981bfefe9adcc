/**
 * Keeps one engine process alive: starts it, loads the model once, runs one job at a time on it,
 * and when it dies (CUDA abort, OOM kill, a bug) reports why, fails the job it was running and
 * starts a new one with backoff. Queued jobs live in the service, so they survive.
 */
import { StudioError } from '../../shared/errors';
import type { EngineStatus } from '../../shared/api/jobSchemas';
import type { GenerationRequestJson } from '../../shared/request/generationRequest';
import { hostReplySchema, type HostReply } from './hostProtocol';
import type { EngineExit, EngineLauncher, EngineProcess } from './engineProcess';
import type { MemoryMode } from '../../shared/engine/memoryModes';
import type { EngineStageEvent } from './progressTracker';

export type EngineDone = Extract<HostReply, { type: 'done' }>;

/** What an engine is started with; `reconfigure` changes it and restarts the engine. */
export interface EngineInitSettings {
  model: string;
  provider?: 'cpu' | 'cuda';
  deviceId?: number;
  memoryMode?: MemoryMode | 'auto';
}

export interface SupervisorOptions extends EngineInitSettings {
  launcher: EngineLauncher;
  gpuIndex?: number;
  cacheDir: string;
  resultsDir: string;
  resourcesDir?: string;
  onStatus: (status: EngineStatus) => void;
  onStage: (jobId: string, event: EngineStageEvent) => void;
  /** first restart delay; doubles on each crash within RAPID_CRASH_MS of the last start */
  restartDelayMs?: number;
}

const MAX_RESTART_DELAY_MS = 30_000;
/** A crash this soon after a start counts as "again": back off instead of spinning. */
const RAPID_CRASH_MS = 60_000;

interface RunningJob {
  jobId: string;
  resolve: (done: EngineDone) => void;
  reject: (error: StudioError) => void;
}

/** stderr lines that are routine noise (Dawn's limit notices), not why a process died */
const NOISE_LINE = /^(Warning:|\(node:\d+\) (Experimental|\[DEP))/;

export function describeExit(exit: EngineExit, stderrTail: string): string {
  const how = exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`;
  const lines = stderrTail.split('\n').map((l) => l.trim()).filter((l) => l && !NOISE_LINE.test(l));
  const detail = lines.length ? `: ${lines.slice(-2).join(' / ')}` : '';
  return `The engine process ${how}${detail}`;
}

export class EngineSupervisor {
  private process: EngineProcess | null = null;
  private running: RunningJob | null = null;
  private readonly videoTasks = new Map<number, { resolve: (path: string) => void; reject: (error: StudioError) => void }>();
  private nextTaskId = 1;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private restartDelayMs: number;
  private startedAt = 0;
  private stopped = false;
  /** new settings arrived while a job ran: restart once it ends */
  private restartPending = false;
  private status: EngineStatus;
  private init: EngineInitSettings;

  constructor(private readonly options: SupervisorOptions) {
    this.init = { model: options.model, provider: options.provider, deviceId: options.deviceId, memoryMode: options.memoryMode };
    this.restartDelayMs = options.restartDelayMs ?? 500;
    this.status = {
      state: 'stopped',
      model: options.model,
      label: null,
      randomWeights: false,
      loadFraction: 0,
      restarts: 0,
      pid: null,
      lastCrash: null,
      provider: null,
      deviceId: null,
      memoryMode: null,
      warnings: [],
    };
  }

  getStatus(): EngineStatus {
    return structuredClone(this.status);
  }

  /** Whether a job can be handed over now (the model may still be loading: the job then waits in the host). */
  canAcceptJob(): boolean {
    return !this.stopped && !this.restartPending && this.running === null && this.status.state !== 'crashed';
  }

  /** The settings the engine was (or will be) started with. */
  settings(): EngineInitSettings {
    return { ...this.init };
  }

  /**
   * Starts the engine again with new settings. A running job finishes first (the restart waits
   * for it; no new job starts meanwhile); queued jobs live in the service and run afterwards.
   */
  reconfigure(settings: EngineInitSettings): void {
    this.init = { ...settings };
    if (this.stopped) return;
    if (this.running) {
      this.restartPending = true;
      return;
    }
    this.restartNow();
  }

  private restartNow(): void {
    this.restartPending = false;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    const proc = this.process;
    // Cleared first: the old process's exit must not read as a crash.
    this.process = null;
    proc?.kill();
    const reason = new StudioError('CANCELLED', 'The engine restarted with new settings; export the video again.');
    for (const task of this.videoTasks.values()) task.reject(reason);
    this.videoTasks.clear();
    this.restartDelayMs = this.options.restartDelayMs ?? 500;
    this.start();
  }

  isLoaded(): boolean {
    return this.status.state === 'ready' || this.status.state === 'busy';
  }

  private setStatus(patch: Partial<EngineStatus>): void {
    this.status = { ...this.status, ...patch };
    this.options.onStatus(this.getStatus());
  }

  start(): void {
    if (this.process || this.stopped) return;
    this.restartPending = false;
    this.startedAt = Date.now();
    // Process first, status after: a status listener may hand us a job right away.
    const proc = this.options.launcher(this.options.gpuIndex ?? 0);
    this.process = proc;
    proc.onMessage((raw) => this.handleMessage(proc, raw));
    proc.onExit((exit) => this.handleExit(proc, exit));
    proc.send({
      type: 'init',
      model: this.init.model,
      cacheDir: this.options.cacheDir,
      resultsDir: this.options.resultsDir,
      provider: this.init.provider,
      deviceId: this.init.deviceId,
      memoryMode: this.init.memoryMode,
      resourcesDir: this.options.resourcesDir,
    });
    this.setStatus({ state: 'starting', model: this.init.model, label: null, loadFraction: 0, pid: proc.pid ?? null, provider: null, deviceId: null, memoryMode: null, warnings: [] });
  }

  private handleMessage(proc: EngineProcess, raw: unknown): void {
    if (proc !== this.process) return;
    const parsed = hostReplySchema.safeParse(raw);
    if (!parsed.success) {
      // A host that speaks nonsense can't be trusted with the next job either.
      this.crash(proc, `The engine sent a malformed message (${parsed.error.issues[0]?.message}); restarting it.`);
      return;
    }
    const msg = parsed.data;
    switch (msg.type) {
      case 'loading':
        this.setStatus({ state: 'loading', loadFraction: msg.fraction });
        if (this.running) this.options.onStage(this.running.jobId, { stage: 'load', fraction: msg.fraction });
        break;
      case 'ready':
        this.setStatus({
          state: this.running ? 'busy' : 'ready',
          label: msg.label,
          randomWeights: msg.randomWeights,
          loadFraction: 1,
          provider: msg.provider ?? this.init.provider ?? 'cpu',
          deviceId: msg.deviceId ?? null,
          memoryMode: msg.memoryMode ?? null,
          warnings: msg.warnings ?? [],
        });
        break;
      case 'fatal':
        this.crash(proc, `The engine could not start: ${msg.message}`, msg.code);
        break;
      case 'stage':
        if (this.running?.jobId === msg.jobId) this.options.onStage(msg.jobId, msg.event);
        break;
      case 'videoDone':
      case 'videoFailed': {
        const task = this.videoTasks.get(msg.taskId);
        this.videoTasks.delete(msg.taskId);
        if (msg.type === 'videoDone') task?.resolve(msg.path);
        else task?.reject(new StudioError(msg.code as StudioError['code'], msg.message));
        break;
      }
      case 'done':
      case 'failed': {
        const job = this.running;
        if (!job || job.jobId !== msg.jobId) return;
        this.running = null;
        this.setStatus({ state: this.isLoaded() ? 'ready' : this.status.state });
        if (msg.type === 'done') {
          this.restartDelayMs = this.options.restartDelayMs ?? 500;
          job.resolve(msg);
        } else {
          job.reject(new StudioError(msg.code as StudioError['code'], msg.message));
        }
        // Before the service hears of the job's end (promise callbacks run later), so the next
        // job goes to the restarted engine.
        if (this.restartPending) this.restartNow();
        break;
      }
    }
  }

  private handleExit(proc: EngineProcess, exit: EngineExit): void {
    if (proc !== this.process) return;
    this.crash(proc, describeExit(exit, proc.stderrTail()));
  }

  private crash(proc: EngineProcess, reason: string, code: string = 'ENGINE_CRASHED'): void {
    if (proc !== this.process) return;
    this.process = null;
    proc.kill();
    const job = this.running;
    this.running = null;
    this.setStatus({
      state: this.stopped ? 'stopped' : 'crashed',
      label: null,
      pid: null,
      loadFraction: 0,
      lastCrash: { reason, at: Date.now(), jobId: job?.jobId ?? null },
    });
    job?.reject(new StudioError(code as StudioError['code'], `${reason}. The engine restarts by itself; retry the job.`));
    for (const task of this.videoTasks.values()) task.reject(new StudioError(code as StudioError['code'], `${reason}. The video was not written.`));
    this.videoTasks.clear();
    if (this.stopped) return;
    const delay = this.restartDelayMs;
    if (Date.now() - this.startedAt < RAPID_CRASH_MS) this.restartDelayMs = Math.min(MAX_RESTART_DELAY_MS, this.restartDelayMs * 2);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.status = { ...this.status, restarts: this.status.restarts + 1 };
      this.start();
    }, delay);
  }

  /** Runs one job; resolves with the host's result, rejects with a StudioError (also when the engine dies). */
  run(jobId: string, request: GenerationRequestJson, seed: number): Promise<EngineDone> {
    if (!this.canAcceptJob()) {
      return Promise.reject(new StudioError('INTERNAL', 'The engine is busy or down; the job stays queued.'));
    }
    this.start();
    return new Promise<EngineDone>((resolve, reject) => {
      this.running = { jobId, resolve, reject };
      if (this.isLoaded()) this.setStatus({ state: 'busy' });
      this.process!.send({ type: 'generate', jobId, request, seed });
    });
  }

  /** Asks the engine for an MP4 of a job it ran; resolves with the written path. */
  renderVideo(jobId: string, path: string): Promise<string> {
    if (!this.process) return Promise.reject(new StudioError('ENGINE_CRASHED', 'The engine is not running; try again when it is ready.'));
    const taskId = this.nextTaskId++;
    return new Promise<string>((resolve, reject) => {
      this.videoTasks.set(taskId, { resolve, reject });
      this.process!.send({ type: 'video', taskId, jobId, path });
    });
  }

  cancel(jobId: string): void {
    if (this.running?.jobId === jobId) this.process?.send({ type: 'cancel', jobId });
  }

  /** For tests and the "kill engine" debug action: what a crash from outside looks like. */
  killForTest(): number | undefined {
    const pid = this.process?.pid;
    this.process?.kill();
    return pid;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const proc = this.process;
    this.process = null;
    proc?.kill();
    this.running?.reject(new StudioError('CANCELLED', 'The studio is shutting down.'));
    this.running = null;
    this.setStatus({ state: 'stopped' });
  }
}
