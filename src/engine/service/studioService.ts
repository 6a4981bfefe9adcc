/**
 * The studio's backend, shared by the Electron main process and serve mode: the job queue, the
 * supervised engine(s), results on disk, the ETA model, projects, recent files, autosave and the
 * example gallery. Transports (IPC relay, WebSocket server) call these methods after validating
 * arguments and forward `subscribe` events.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { StudioError } from '../../shared/errors';
import type { Job, JobSettings } from '../../shared/api/jobSchemas';
import type { DownloadModelOptions, EngineSettings, ModelState, ModelTask } from '../../shared/api/modelSchemas';
import type { StudioEvent } from '../../shared/api/events';
import type { ExportBytes, ExportFormat, ProjectSource, Recovery, ResultFormat, Snapshot } from '../../shared/api/methods';
import type { Example, OpenedProject, ProjectDocument, RecentProject } from '../../shared/api/projectSchemas';
import { validateGenerationRequest, toRequestJson } from '../../shared/request/generationRequest';
import { EtaModel } from './etaModel';
import { JobQueue } from './jobQueue';
import { ProgressTracker, type EngineStageEvent } from './progressTracker';
import { EngineSupervisor, type EngineInitSettings } from './engineSupervisor';
import { ModelManager } from './modelManager';
import { systemGpuProbe, type GpuProbe } from './modelState';
import type { EngineLauncher } from './engineProcess';
import { ProjectStore, type ResultFiles } from './projectStore';
import { imageFileToDataUrl } from './imageFiles';
import { spawnSync } from 'node:child_process';

export interface StudioServiceOptions {
  dataDir: string;
  examplesDir: string;
  launcher: EngineLauncher;
  /** one engine process per GPU; jobs run one at a time on each */
  engineCount?: number;
  provider?: 'cpu' | 'cuda';
  resourcesDir?: string;
  shell: Snapshot['shell'];
  restartDelayMs?: number;
  /** false: never offer MP4 (tests of other parts); default: offered when ffmpeg runs */
  videoAvailable?: boolean;
  /** HF_HOME / HF_HUB_CACHE / HF_ENDPOINT / HF_TOKEN for the model manager (default: this process's) */
  modelEnv?: NodeJS.ProcessEnv;
  /** GPUs and the CUDA provider (default: nvidia-smi and onnxruntime-node's folder) */
  gpuProbe?: GpuProbe;
  /** least time between two model download progress events (default 100 ms) */
  modelProgressIntervalMs?: number;
}

/**
 * Same lookup as splat/video.ts `findFfmpeg` ($FFMPEG_PATH, then the PATH), probed here so the
 * Electron main process never loads the rasterizer (and its GPU addon) just to ask.
 */
function ffmpegProblem(): string | null {
  const candidate = process.env.FFMPEG_PATH ?? 'ffmpeg';
  const probe = spawnSync(candidate, ['-version'], { stdio: 'ignore' });
  if (!probe.error && probe.status === 0) return null;
  return `MP4 export needs ffmpeg, and "${candidate}" could not be run. Install ffmpeg or set FFMPEG_PATH, then restart the studio.`;
}

/** Progress events faster than this are merged: the UI can't show them and IPC would flood. */
const PROGRESS_INTERVAL_MS = 100;

interface Engine {
  supervisor: EngineSupervisor;
  tracker: ProgressTracker | null;
  jobId: string | null;
  lastProgressAt: number;
}

export class StudioService {
  private readonly listeners = new Set<(event: StudioEvent) => void>();
  private readonly queue: JobQueue;
  private readonly engines: Engine[] = [];
  private readonly results = new Map<string, ResultFiles>();
  /** which engine ran a job: only that process holds the scene for MP4 export */
  private readonly ranOn = new Map<string, Engine>();
  private readonly ffmpegProblem: string | null;
  private eta = new EtaModel();
  private readonly resultsDir: string;
  private readonly models: ModelManager;
  private readonly projects: ProjectStore;

  constructor(private readonly options: StudioServiceOptions) {
    this.resultsDir = join(options.dataDir, 'results');
    const graphCacheDir = join(options.dataDir, 'graph-cache');
    this.models = new ModelManager({
      dataDir: options.dataDir,
      graphCacheDir,
      env: options.modelEnv ?? process.env,
      resourcesDir: options.resourcesDir,
      engineCount: options.engineCount ?? 1,
      launcher: options.launcher,
      probe: options.gpuProbe ?? systemGpuProbe,
      defaults: options.provider ? { provider: options.provider } : undefined,
      progressIntervalMs: options.modelProgressIntervalMs,
      emit: (event) => this.emit(event),
      onSettings: (settings) => this.engines.forEach((e) => e.supervisor.reconfigure(this.engineInit(settings))),
    });
    this.queue = new JobQueue((change) => this.emit(change));
    this.projects = new ProjectStore(options.dataDir, this.resultsDir, {
      jobs: () => this.queue.list(),
      results: () => this.results,
      clear: () => this.newProject(),
      load: (jobs, results) => {
        for (const [id, files] of results) this.results.set(id, files);
        // Queued jobs of a saved project run again, in their order.
        this.queue.reset(jobs, Date.now());
        this.dispatch();
      },
    });
    this.ffmpegProblem = options.videoAvailable === false ? 'Video export is switched off for this backend.' : ffmpegProblem();
    for (let i = 0; i < (options.engineCount ?? 1); i++) {
      const engine: Engine = { supervisor: null as unknown as EngineSupervisor, tracker: null, jobId: null, lastProgressAt: 0 };
      engine.supervisor = new EngineSupervisor({
        launcher: options.launcher,
        gpuIndex: i,
        model: 'test',
        cacheDir: graphCacheDir,
        resultsDir: this.resultsDir,
        provider: options.provider,
        resourcesDir: options.resourcesDir,
        restartDelayMs: options.restartDelayMs,
        onStatus: (status) => {
          this.emit({ type: 'engine', status });
          this.dispatch();
        },
        onStage: (jobId, event) => this.onStage(engine, jobId, event),
      });
      this.engines.push(engine);
    }
  }

  async start(): Promise<void> {
    await mkdir(this.resultsDir, { recursive: true });
    try {
      this.eta = EtaModel.fromJSON(JSON.parse(await readFile(join(this.options.dataDir, 'eta.json'), 'utf8')));
    } catch {
      // No runs measured yet (or an unreadable file): estimates start from defaults.
    }
    const settings = await this.models.load();
    // Load the model now (with the saved settings), so the first job doesn't wait for it.
    this.engines.forEach((e) => e.supervisor.reconfigure(this.engineInit(settings)));
  }

  stop(): void {
    this.models.stop();
    for (const e of this.engines) e.supervisor.stop();
  }

  /**
   * One engine sees every GPU and opens the chosen device; with one engine per GPU each is pinned
   * to its own (CUDA_VISIBLE_DEVICES) and opens its device 0.
   */
  private engineInit(settings: EngineSettings): EngineInitSettings {
    const single = (this.options.engineCount ?? 1) <= 1;
    return { model: settings.model, provider: settings.provider, deviceId: single ? settings.deviceId : undefined, memoryMode: settings.memoryMode };
  }

  subscribe(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StudioEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** The engine that runs jobs (for crash tests and the "restart engine" action). */
  engine(index = 0): EngineSupervisor {
    return this.engines[index].supervisor;
  }

  // ---- queue ----

  async getSnapshot(): Promise<Snapshot> {
    return {
      recovery: await this.projects.recoverySavedAt(),
      jobs: this.queue.list(),
      engine: this.engines[0].supervisor.getStatus(),
      models: this.models.models(),
      shell: this.options.shell,
      exportFormats: [
        { format: 'ply', available: true, reason: null },
        { format: 'spz', available: true, reason: null },
        { format: 'trajectory', available: true, reason: null },
        { format: 'mp4', available: this.ffmpegProblem === null, reason: this.ffmpegProblem },
      ],
    };
  }

  enqueue(settings: JobSettings): Job {
    this.models.checkJobModel(settings.model);
    // Full request checks (prompt present, sizes multiple of 32, cameras) before it waits in line.
    validateGenerationRequest(settings.request, 'The job');
    const job = this.queue.add(settings, Date.now());
    this.dispatch();
    return job;
  }

  cancelJob(id: string): void {
    if (this.queue.cancel(id, Date.now()) === 'running') {
      for (const e of this.engines) if (e.jobId === id) e.supervisor.cancel(id);
    }
  }

  retryJob(id: string): Job {
    const job = this.queue.retry(id);
    this.dispatch();
    return job;
  }

  removeJob(id: string): void {
    this.queue.remove(id);
    this.ranOn.delete(id);
    void rm(join(this.resultsDir, `${id}.mp4`), { force: true });
    const files = this.results.get(id);
    this.results.delete(id);
    if (files) void Promise.all([rm(files.ply, { force: true }), rm(files.spz, { force: true })]);
  }

  private dispatch(): void {
    for (const engine of this.engines) {
      if (engine.jobId || !engine.supervisor.canAcceptJob()) continue;
      const next = this.nextRunnable();
      if (!next) return;
      void this.runOn(engine, next);
    }
  }

  /** The next queued job; ones for another model than the engine runs (from a reopened project, a retry) fail with the fix. */
  private nextRunnable(): Job | undefined {
    for (let next = this.queue.nextQueued(); next; next = this.queue.nextQueued()) {
      if (next.settings.model === this.models.settings().model) return next;
      this.queue.finish(next.id, { status: 'failed', error: this.models.mismatch(next.settings.model).toJSON() }, Date.now());
    }
    return undefined;
  }

  private etaKey(job: Job) {
    const [frames, height, width] = job.settings.request.resolution;
    return { model: job.settings.model, frames, height, width };
  }

  private async runOn(engine: Engine, queued: Job): Promise<void> {
    const job = this.queue.markRunning(queued.id, Date.now());
    engine.jobId = job.id;
    engine.tracker = new ProgressTracker(this.eta.estimate(this.etaKey(job)), !engine.supervisor.isLoaded());
    engine.lastProgressAt = 0;
    this.queue.setProgress(job.id, engine.tracker.snapshot(Date.now()));
    const ticker = setInterval(() => this.publishProgress(engine, true), 250);
    try {
      const done = await engine.supervisor.run(job.id, job.settings.request, job.settings.seed);
      this.results.set(job.id, done.files);
      this.ranOn.set(job.id, engine);
      const measured = engine.tracker.measured();
      this.eta.record(this.etaKey(job), measured);
      void writeFile(join(this.options.dataDir, 'eta.json'), JSON.stringify(this.eta)).catch(() => undefined);
      this.queue.finish(job.id, {
        status: 'done',
        result: { splatCount: done.splatCount, totalMs: Date.now() - (job.startedAt ?? Date.now()), timingsMs: done.timingsMs, thumbnail: done.thumbnail },
      }, Date.now());
    } catch (error) {
      const e = error instanceof StudioError ? error : new StudioError('RUNTIME_FAILED', String(error));
      this.queue.finish(job.id, e.code === 'CANCELLED' ? { status: 'cancelled' } : { status: 'failed', error: e.toJSON() }, Date.now());
    } finally {
      clearInterval(ticker);
      engine.jobId = null;
      engine.tracker = null;
      this.dispatch();
    }
  }

  private onStage(engine: Engine, jobId: string, event: EngineStageEvent): void {
    if (engine.jobId !== jobId || !engine.tracker) return;
    engine.tracker.onEvent(event, Date.now());
    this.publishProgress(engine, false);
  }

  private publishProgress(engine: Engine, force: boolean): void {
    const now = Date.now();
    if (!engine.jobId || !engine.tracker || (!force && now - engine.lastProgressAt < PROGRESS_INTERVAL_MS)) return;
    engine.lastProgressAt = now;
    this.queue.setProgress(engine.jobId, engine.tracker.snapshot(now));
  }

  // ---- results ----

  private resultFiles(id: string): ResultFiles {
    const job = this.queue.get(id);
    const files = this.results.get(id);
    if (job.status !== 'done' || !files) {
      throw new StudioError('NOT_FOUND', `Job ${id} has no result (it is ${job.status}). Wait until it is done.`);
    }
    return files;
  }

  async getResultBytes(id: string, format: ResultFormat): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.resultFiles(id)[format]));
  }

  async getExportBytes(id: string, format: ExportFormat): Promise<ExportBytes> {
    const job = this.queue.get(id);
    const stem = (job.settings.label ?? 'flashworld').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60) || 'flashworld';
    if (format === 'ply' || format === 'spz') {
      return { fileName: `${stem}-${job.settings.seed}.${format}`, bytes: await this.getResultBytes(id, format) };
    }
    if (format === 'trajectory') {
      const json = toRequestJson(validateGenerationRequest(job.settings.request));
      return { fileName: `${stem}-trajectory.json`, bytes: new TextEncoder().encode(JSON.stringify(json, null, 2)) };
    }
    if (this.ffmpegProblem) throw new StudioError('UNSUPPORTED_FILE', this.ffmpegProblem);
    this.resultFiles(id);
    const path = join(this.resultsDir, `${id}.mp4`);
    if (!existsSync(path)) {
      const engine = this.ranOn.get(id);
      if (!engine) {
        throw new StudioError('NOT_FOUND', 'This result came from a saved project; the engine no longer holds its scene. Duplicate the job and generate it again to export a video.');
      }
      await engine.supervisor.renderVideo(id, path);
    }
    return { fileName: `${stem}-${job.settings.seed}.mp4`, bytes: new Uint8Array(await readFile(path)) };
  }

  // ---- model manager and engine settings ----

  getModelState(): Promise<ModelState> {
    return this.models.getModelState();
  }

  /** Saves the settings; the engine restarts with them (after its running job; queued jobs wait). */
  setEngineSettings(settings: EngineSettings): Promise<ModelState> {
    return this.models.setEngineSettings(settings);
  }

  downloadModel(options: DownloadModelOptions): ModelTask {
    return this.models.downloadModel(options);
  }

  verifyModel(): ModelTask {
    return this.models.verifyModel();
  }

  buildModelGraphs(): ModelTask {
    return this.models.buildModelGraphs();
  }

  cancelModelTask(): void {
    this.models.cancelModelTask();
  }

  // ---- examples ----

  async listExamples(): Promise<Example[]> {
    const dir = this.options.examplesDir;
    const names = existsSync(dir) ? (await readdir(dir)).filter((n) => n.endsWith('.json')).sort() : [];
    const out: Example[] = [];
    for (const name of names) {
      try {
        const json = JSON.parse(await readFile(join(dir, name), 'utf8'));
        if (json.image_prompt && !String(json.image_prompt).startsWith('data:')) {
          json.image_prompt = await imageFileToDataUrl(join(dir, json.image_prompt));
        }
        validateGenerationRequest(json, name);
        const id = basename(name, '.json');
        out.push({ id, title: id.replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase()), request: json });
      } catch (error) {
        // A broken example must not hide the others; say which one in the log.
        console.warn(`Skipping example ${name}: ${(error as Error).message}`);
      }
    }
    return out;
  }

  // ---- projects, recent files, autosave (projectStore.ts) ----

  listRecent(): Promise<RecentProject[]> {
    return this.projects.listRecent();
  }

  newProject(): void {
    for (const job of this.queue.list()) if (job.status === 'running' || job.status === 'queued') this.cancelJob(job.id);
    this.queue.reset([], Date.now());
    this.results.clear();
    this.ranOn.clear();
  }

  /** Writes the project to `path` (the caller chose it: a dialog in Electron, the projects folder in serve mode). */
  saveProjectTo(path: string, document: ProjectDocument): Promise<{ path: string }> {
    return this.projects.saveProjectTo(path, document);
  }

  openProject(source: ProjectSource): Promise<OpenedProject> {
    return this.projects.openProject(source);
  }

  autosave(document: ProjectDocument, path: string | null): Promise<void> {
    return this.projects.autosave(document, path);
  }

  getRecovery(): Promise<Recovery | null> {
    return this.projects.getRecovery();
  }

  discardRecovery(): Promise<void> {
    return this.projects.discardRecovery();
  }
}
