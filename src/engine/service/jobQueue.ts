/**
 * The list of jobs and the rules for moving between statuses:
 *   queued → running → done | failed | cancelled;  queued → cancelled;  failed | cancelled → queued (retry).
 * Pure state (no engine, no clock): the service decides when to start the next job and feeds
 * results in; every change is reported through `onChange` so transports can forward it.
 */
import { StudioError } from '../../shared/errors';
import type { ErrorInfo, Job, JobProgress, JobResult, JobSettings } from '../../shared/api/jobSchemas';

export type QueueChange = { type: 'job'; job: Job } | { type: 'jobRemoved'; id: string } | { type: 'jobsReset'; jobs: Job[] };

let counter = 0;
export function newJobId(now: number): string {
  counter = (counter + 1) % 1_000_000;
  return `job-${now.toString(36)}-${counter.toString(36)}-${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

export class JobQueue {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly onChange: (change: QueueChange) => void,
    private readonly makeId: (now: number) => string = newJobId,
  ) {}

  list(): Job[] {
    return [...this.jobs.values()].map((j) => structuredClone(j));
  }

  get(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new StudioError('NOT_FOUND', `Job ${id} does not exist (it may have been removed). Refresh the queue.`);
    return job;
  }

  private emit(job: Job): Job {
    const copy = structuredClone(job);
    this.onChange({ type: 'job', job: copy });
    return copy;
  }

  add(settings: JobSettings, now: number): Job {
    const job: Job = {
      id: this.makeId(now),
      createdAt: now,
      settings: structuredClone(settings),
      status: 'queued',
      progress: null,
      error: null,
      result: null,
      startedAt: null,
      finishedAt: null,
    };
    this.jobs.set(job.id, job);
    return this.emit(job);
  }

  /** The oldest queued job, or undefined. */
  nextQueued(): Job | undefined {
    for (const job of this.jobs.values()) if (job.status === 'queued') return job;
    return undefined;
  }

  running(): Job[] {
    return [...this.jobs.values()].filter((j) => j.status === 'running');
  }

  markRunning(id: string, now: number): Job {
    const job = this.get(id);
    if (job.status !== 'queued') throw new StudioError('INTERNAL', `Job ${id} is ${job.status}, not queued; it can't start.`);
    job.status = 'running';
    job.startedAt = now;
    job.error = null;
    return this.emit(job);
  }

  setProgress(id: string, progress: JobProgress): void {
    const job = this.jobs.get(id);
    if (!job || job.status !== 'running') return;
    job.progress = progress;
    this.emit(job);
  }

  finish(id: string, outcome: { status: 'done'; result: JobResult } | { status: 'failed'; error: ErrorInfo } | { status: 'cancelled' }, now: number): Job | undefined {
    const job = this.jobs.get(id);
    // A job removed or reset while the engine worked on it: nothing to record.
    if (!job || (job.status !== 'running' && job.status !== 'queued')) return undefined;
    job.status = outcome.status;
    job.finishedAt = now;
    job.result = outcome.status === 'done' ? outcome.result : null;
    job.error = outcome.status === 'failed' ? outcome.error : null;
    if (outcome.status === 'done' && job.progress) {
      job.progress = {
        ...job.progress,
        fraction: 1,
        etaMs: 0,
        stages: job.progress.stages.map((s) => (s.state === 'skipped' ? s : { ...s, state: 'done', fraction: 1, part: null })),
      };
    }
    return this.emit(job);
  }

  /** Cancels a queued job at once; for a running one returns 'running' so the caller stops the engine. */
  cancel(id: string, now: number): 'cancelled' | 'running' {
    const job = this.get(id);
    if (job.status === 'queued') {
      this.finish(id, { status: 'cancelled' }, now);
      return 'cancelled';
    }
    if (job.status === 'running') return 'running';
    throw new StudioError('INVALID_REQUEST', `Job ${id} is already ${job.status}; only queued or running jobs can be cancelled.`);
  }

  retry(id: string): Job {
    const job = this.get(id);
    if (job.status !== 'failed' && job.status !== 'cancelled') {
      throw new StudioError('INVALID_REQUEST', `Job ${id} is ${job.status}; only failed or cancelled jobs can be retried (duplicate a finished one instead).`);
    }
    // Back to the end of the line, as a user expects from "retry".
    this.jobs.delete(id);
    Object.assign(job, { status: 'queued', progress: null, error: null, result: null, startedAt: null, finishedAt: null });
    this.jobs.set(id, job);
    return this.emit(job);
  }

  remove(id: string): void {
    const job = this.get(id);
    if (job.status === 'running') {
      throw new StudioError('INVALID_REQUEST', `Job ${id} is running; cancel it before removing it.`);
    }
    this.jobs.delete(id);
    this.onChange({ type: 'jobRemoved', id });
  }

  /** Replaces every job (opening a project). Running jobs in the list come back as failed: their engine run is gone. */
  reset(jobs: Job[], now: number): void {
    this.jobs.clear();
    for (const j of jobs) {
      const job = structuredClone(j);
      if (job.status === 'running') {
        job.status = 'failed';
        job.finishedAt = now;
        job.error = { code: 'CANCELLED', message: 'This job was running when the project was saved; retry it to run it again.' };
      }
      this.jobs.set(job.id, job);
    }
    this.onChange({ type: 'jobsReset', jobs: this.list() });
  }
}
