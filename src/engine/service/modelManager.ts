/**
 * The studio's model manager: engine settings (model, provider, device, memory mode; persisted),
 * the model list the prompt panel offers, and the download / verify / build tasks with their
 * progress. The service owns the engines; this tells it when the settings change.
 */
import { StudioError } from '../../shared/errors';
import type { ModelInfo } from '../../shared/api/jobSchemas';
import type { StudioEvent } from '../../shared/api/events';
import { DEFAULT_ENGINE_SETTINGS, type DownloadModelOptions, type EngineSettings, type ModelState, type ModelTask } from '../../shared/api/modelSchemas';
import { hubModelFiles, resolveModelFiles } from '../model/modelFiles';
import type { EngineLauncher } from './engineProcess';
import { loadEngineSettings, saveEngineSettings } from './engineSettingsStore';
import { buildGraphsInProcess } from './graphBuildProcess';
import { readGraphRecord, recordGraphBuild } from './graphRecord';
import { computeModelState, officialModelStatus, type GpuProbe } from './modelState';
import { ModelTaskRunner } from './modelTaskRunner';
import { applyBuildEvent, buildTaskItems, runDownloadTask, runVerifyTask } from './modelTasks';
import { weightFilesIdentity } from './weightEstimate';

export interface ModelManagerOptions {
  dataDir: string;
  /** where the engine caches graphs (a build must fill the same cache) */
  graphCacheDir: string;
  /** HF_HOME / HF_HUB_CACHE / HF_ENDPOINT / HF_TOKEN as the download and status read them */
  env: NodeJS.ProcessEnv;
  resourcesDir?: string;
  engineCount: number;
  launcher: EngineLauncher;
  probe: GpuProbe;
  /** settings used when settings.json is missing or bad (serve's --provider feeds this) */
  defaults?: Partial<EngineSettings>;
  progressIntervalMs?: number;
  emit: (event: StudioEvent) => void;
  /** the settings changed: restart the engines with them */
  onSettings: (settings: EngineSettings) => void;
}

const MODEL_LABELS: Record<EngineSettings['model'], string> = { test: 'Test model (random weights)', hub: 'FlashWorld (official weights)' };

export class ModelManager {
  private current: EngineSettings;
  private notice: string | null = null;
  private readonly tasks: ModelTaskRunner;

  constructor(private readonly options: ModelManagerOptions) {
    this.current = { ...DEFAULT_ENGINE_SETTINGS, ...options.defaults };
    this.tasks = new ModelTaskRunner((task) => options.emit({ type: 'modelTask', task }), options.progressIntervalMs ?? 100);
  }

  /** Reads settings.json (defaults plus a notice when it is bad); call before starting engines. */
  async load(): Promise<EngineSettings> {
    const loaded = await loadEngineSettings(this.options.dataDir, this.current);
    this.current = loaded.settings;
    this.notice = loaded.notice;
    if (loaded.notice) console.warn(loaded.notice);
    return this.settings();
  }

  settings(): EngineSettings {
    return { ...this.current };
  }

  /** The models a job can ask for; the official one only once it is in the Hugging Face cache. */
  models(): ModelInfo[] {
    const hub = officialModelStatus(this.options.env);
    return [
      { id: 'test', label: MODEL_LABELS.test, randomWeights: true, available: true, reason: null },
      {
        id: 'hub',
        label: MODEL_LABELS.hub,
        randomWeights: false,
        available: hub.ready,
        reason: hub.ready
          ? null
          : `The official weights are not downloaded yet (about 30 GB${hub.interrupted ? '; a download was interrupted and resumes where it stopped' : ''}). Open the Model panel to download them, or use the test model.`,
      },
    ];
  }

  /** Throws unless a job may run on `model` now: it is available and it is the engine's model. */
  checkJobModel(model: string): void {
    const info = this.models().find((m) => m.id === model);
    if (!info) throw new StudioError('INVALID_REQUEST', `Unknown model "${model}". Choose one from the model list.`);
    if (!info.available) throw new StudioError('INVALID_REQUEST', `${info.label} can't run: ${info.reason}`);
    if (model !== this.current.model) throw this.mismatch(model);
  }

  mismatch(model: string): StudioError {
    const asked = MODEL_LABELS[model as EngineSettings['model']] ?? model;
    return new StudioError('INVALID_REQUEST', `This job is for ${asked}, but the engine runs ${MODEL_LABELS[this.current.model]}. Choose ${asked} in the Model panel, then retry.`);
  }

  async getModelState(): Promise<ModelState> {
    return computeModelState({
      settings: this.settings(),
      settingsNotice: this.notice,
      engineCount: this.options.engineCount,
      env: this.options.env,
      resourcesDir: this.options.resourcesDir,
      graphRecord: await readGraphRecord(this.options.dataDir),
      probe: this.options.probe,
      task: this.tasks.current(),
    });
  }

  /** Saves the settings and restarts the engine with them; unchanged settings restart nothing. */
  async setEngineSettings(next: EngineSettings): Promise<ModelState> {
    if (next.model === 'hub') {
      const hub = officialModelStatus(this.options.env);
      if (!hub.ready) throw new StudioError('INVALID_REQUEST', `The official model can't be chosen yet: ${hub.problem} Download it first.`);
    }
    const changed = JSON.stringify(next) !== JSON.stringify(this.current);
    await saveEngineSettings(this.options.dataDir, next);
    this.current = { ...next };
    this.notice = null;
    if (changed) {
      this.options.emit({ type: 'engineSettings', settings: this.settings() });
      this.options.onSettings(this.settings());
    }
    return this.getModelState();
  }

  downloadModel(opts: DownloadModelOptions): ModelTask {
    return this.tasks.start('download', 'bytes', (control) =>
      runDownloadTask(control, { env: this.options.env, token: opts.token, verifyExisting: opts.verifyExisting, progressIntervalMs: this.options.progressIntervalMs ?? 100 }),
    );
  }

  verifyModel(): ModelTask {
    return this.tasks.start('verify', 'files', (control) => runVerifyTask(control, this.options.env));
  }

  /** Builds the selected model's graphs for the selected provider, in a process of its own. */
  buildModelGraphs(): ModelTask {
    const { model, provider, memoryMode } = this.current;
    let identity: string;
    try {
      identity = weightFilesIdentity(model === 'hub' ? hubModelFiles(this.options.env) : resolveModelFiles(model, this.options.resourcesDir));
    } catch (error) {
      throw new StudioError('INVALID_REQUEST', `The graphs can't be built: ${(error as Error).message}`);
    }
    const floatType = provider === 'cuda' ? 'float16' : 'float32';
    return this.tasks.start('build', 'networks', async (control) => {
      control.setItems(buildTaskItems());
      control.setTotals({ done: 0, total: buildTaskItems().length }, true);
      const result = await buildGraphsInProcess(
        this.options.launcher,
        { model, cacheDir: this.options.graphCacheDir, provider, resourcesDir: this.options.resourcesDir, ...(memoryMode !== 'auto' ? { memoryMode } : {}) },
        (event) => applyBuildEvent(control, event),
        control.signal,
      );
      await recordGraphBuild(this.options.dataDir, { model, floatType, weightsIdentity: identity, graphs: result.graphs, builtAt: Date.now() });
      return { summary: `Graphs ready for ${provider === 'cuda' ? 'CUDA (fp16)' : 'the CPU (fp32)'}: ${result.built} built, ${result.cached} already built.` };
    });
  }

  cancelModelTask(): void {
    this.tasks.cancel();
  }

  stop(): void {
    this.tasks.cancel();
  }
}
