/** Jobs and engine status as the backend reports them; the renderer never invents a status. */
import type { StateCreator } from 'zustand';
import type { EngineStatus, Job, ModelInfo } from '../../../shared/api/jobSchemas';
import type { Snapshot } from '../../../shared/api/methods';
import type { StudioEvent } from '../../../shared/api/events';
import type { StudioState } from './store';

export interface QueueSlice {
  jobs: Job[];
  engine: EngineStatus | null;
  models: ModelInfo[];
  exportFormats: Snapshot['exportFormats'];
  shell: Snapshot['shell'];
  selectedJobId: string | null;
  applySnapshot(snapshot: Snapshot): void;
  applyEvent(event: StudioEvent): void;
  selectJob(id: string | null): void;
}

export const createQueueSlice: StateCreator<StudioState, [], [], QueueSlice> = (set) => ({
  jobs: [],
  engine: null,
  models: [],
  exportFormats: [],
  shell: 'serve',
  selectedJobId: null,
  applySnapshot: (s) => set({ jobs: s.jobs, engine: s.engine, models: s.models, exportFormats: s.exportFormats, shell: s.shell }),
  applyEvent: (event) =>
    set((s) => {
      switch (event.type) {
        case 'job': {
          const i = s.jobs.findIndex((j) => j.id === event.job.id);
          const jobs = i < 0 ? [...s.jobs, event.job] : s.jobs.map((j, k) => (k === i ? event.job : j));
          // A retried job moves to the end of the line, as in the backend.
          if (i >= 0 && event.job.status === 'queued' && s.jobs[i].status !== 'queued') {
            jobs.splice(i, 1);
            jobs.push(event.job);
          }
          return { jobs };
        }
        case 'jobRemoved':
          return { jobs: s.jobs.filter((j) => j.id !== event.id), selectedJobId: s.selectedJobId === event.id ? null : s.selectedJobId };
        case 'jobsReset':
          return { jobs: event.jobs, selectedJobId: event.jobs.some((j) => j.id === s.selectedJobId) ? s.selectedJobId : null };
        case 'engine':
          return { engine: event.status };
        default:
          return {};
      }
    }),
  selectJob: (id) => set({ selectedJobId: id }),
});
