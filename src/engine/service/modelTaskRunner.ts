/**
 * Runs one model task at a time (download, verify or graph build: they touch the same files) and
 * publishes its progress as plain `ModelTask` data. Byte counters change many times a second;
 * they are merged and sent at most every `intervalMs`, while state changes (a file starts or
 * ends, the task ends) go out at once.
 */
import { StudioError } from '../../shared/errors';
import type { ModelTask, ModelTaskItem, ModelTaskKind } from '../../shared/api/modelSchemas';

export interface TaskControl {
  readonly signal: AbortSignal;
  setItems(items: ModelTaskItem[]): void;
  addItem(item: ModelTaskItem): void;
  /** `force`: a state change worth sending now; otherwise merged with the next tick */
  updateItem(id: string, patch: Partial<ModelTaskItem>, force?: boolean): void;
  setTotals(patch: Partial<Pick<ModelTask, 'done' | 'total' | 'bytesPerSecond'>>, force?: boolean): void;
  message(text: string): void;
  /** what the task currently knows (the adapters read items back) */
  snapshot(): ModelTask;
}

export interface TaskOutcome {
  summary: string;
  problems?: string[];
  /** a verification that found problems ends 'failed' with them listed */
  failed?: boolean;
}

const KIND_LABEL: Record<ModelTaskKind, string> = { download: 'A model download', verify: 'A model verification', build: 'A graph build' };

export class ModelTaskRunner {
  private task: ModelTask | null = null;
  private abort: AbortController | null = null;
  private nextId = 1;
  private lastSent = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly emit: (task: ModelTask) => void,
    private readonly intervalMs = 100,
  ) {}

  /** The running task, or the last one (with its outcome) until the next starts. */
  current(): ModelTask | null {
    return this.task ? structuredClone(this.task) : null;
  }

  isRunning(): boolean {
    return this.task?.state === 'running';
  }

  /**
   * Starts `run` and returns the task at once; progress and the end arrive as events.
   * `onEnd` runs after the task's final state is published (the service refreshes its model list).
   */
  start(kind: ModelTaskKind, unit: ModelTask['unit'], run: (control: TaskControl) => Promise<TaskOutcome>, onEnd?: (task: ModelTask) => void): ModelTask {
    if (this.task?.state === 'running') {
      throw new StudioError('INVALID_REQUEST', `${KIND_LABEL[this.task.kind]} is running. Wait for it to finish or cancel it first.`);
    }
    const task: ModelTask = {
      id: this.nextId++,
      kind,
      state: 'running',
      startedAt: Date.now(),
      finishedAt: null,
      unit,
      items: [],
      done: 0,
      total: 0,
      bytesPerSecond: null,
      message: null,
      summary: null,
      problems: [],
      error: null,
    };
    this.task = task;
    const abort = new AbortController();
    this.abort = abort;
    this.publish(true);
    const mine = () => this.task === task;
    const control: TaskControl = {
      signal: abort.signal,
      setItems: (items) => {
        if (!mine()) return;
        task.items = items.map((i) => ({ ...i }));
        this.publish(true);
      },
      addItem: (item) => {
        if (!mine()) return;
        task.items.push({ ...item });
        this.publish(true);
      },
      updateItem: (id, patch, force = false) => {
        const item = task.items.find((i) => i.id === id);
        if (!mine() || !item) return;
        Object.assign(item, patch);
        this.publish(force);
      },
      setTotals: (patch, force = false) => {
        if (!mine()) return;
        Object.assign(task, patch);
        this.publish(force);
      },
      message: (text) => {
        if (!mine()) return;
        task.message = text;
        this.publish(true);
      },
      snapshot: () => structuredClone(task),
    };
    void (async () => {
      try {
        const outcome = await run(control);
        task.state = outcome.failed ? 'failed' : 'done';
        task.summary = outcome.summary;
        task.problems = outcome.problems ?? [];
      } catch (error) {
        const e = error instanceof StudioError ? error : new StudioError('INTERNAL', `The model task failed unexpectedly: ${(error as Error)?.message ?? error}`);
        task.state = e.code === 'CANCELLED' ? 'cancelled' : 'failed';
        task.error = e.code === 'CANCELLED' ? null : e.toJSON();
        task.summary = e.code === 'CANCELLED' ? 'Stopped.' : null;
      }
      task.finishedAt = Date.now();
      task.bytesPerSecond = null;
      for (const item of task.items) if (item.state === 'active') item.state = task.state === 'done' ? 'done' : 'failed';
      if (this.abort === abort) this.abort = null;
      this.publish(true);
      onEnd?.(structuredClone(task));
    })();
    return structuredClone(task);
  }

  /** Stops the running task (a download keeps what arrived and resumes next time). */
  cancel(): void {
    this.abort?.abort();
  }

  private publish(force: boolean): void {
    if (!this.task) return;
    const now = Date.now();
    if (force || now - this.lastSent >= this.intervalMs) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.lastSent = now;
      this.emit(structuredClone(this.task));
      return;
    }
    // Merged: the latest numbers go out when the interval is up, so the last bytes are never lost.
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.publish(true);
    }, this.intervalMs - (now - this.lastSent));
  }
}
