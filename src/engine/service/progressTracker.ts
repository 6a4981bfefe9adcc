/**
 * Turns the engine's stage events into the progress bars of one job: which stage is active, how
 * far each is (sub-stage counts inside a step, learned durations in between), the whole job's
 * fraction and its ETA. Time comes in as arguments so tests drive it without clocks.
 */
import { STAGE_IDS, type JobProgress, type StageId, type StageProgress } from '../../shared/api/jobSchemas';
import type { StageDurations } from './etaModel';

/** Engine stage events as the runtime's onStage reports them (plus load and export from the host). */
export type EngineStageEvent =
  | { stage: 'load'; fraction: number }
  | { stage: 'text' }
  | { stage: 'image' }
  | { stage: 'step'; step: number; of: number; part: 'transformer' | 'decode' | 'render' | 'encode' }
  | { stage: 'export' }
  | { stage: 'done' };

const LABELS: Record<StageId, string> = {
  load: 'Model load',
  text: 'Text',
  image: 'Image',
  step1: 'Step 1/4',
  step2: 'Step 2/4',
  step3: 'Step 3/4',
  step4: 'Step 4/4',
  export: 'Export',
};

/** Relative weights before any run was measured: the four denoising steps dominate. */
const DEFAULT_WEIGHTS: Record<StageId, number> = { load: 3, text: 1, image: 1, step1: 3, step2: 3, step3: 3, step4: 2, export: 1 };

/** Sub-stages of a 3D-mode step (1..3) and of the last, 2D step (upstream decodes without rendering). */
const PARTS_3D = ['transformer', 'decode', 'render', 'encode'];
const PARTS_LAST = ['transformer', 'decode'];

/** A bar never reaches 100 % on time alone: only the next event finishes a stage. */
const MAX_TIME_FRACTION = 0.95;

interface StageState {
  state: StageProgress['state'];
  startedAt: number | null;
  durationMs: number | null;
  part: string | null;
  partFraction: number;
  loadFraction: number;
}

export class ProgressTracker {
  private readonly stages = new Map<StageId, StageState>();
  private active: StageId | null = null;

  /** `includeLoad`: whether this job waits for the model to load (first job after a (re)start). */
  constructor(
    private readonly expected: StageDurations,
    includeLoad: boolean,
  ) {
    for (const id of STAGE_IDS) {
      this.stages.set(id, {
        state: id === 'load' && !includeLoad ? 'skipped' : 'pending',
        startedAt: null,
        durationMs: null,
        part: null,
        partFraction: 0,
        loadFraction: 0,
      });
    }
  }

  private enter(id: StageId, now: number): StageState {
    if (this.active === id) return this.stages.get(id)!;
    if (this.active) this.finishStage(this.active, now);
    // Stages the engine jumped over (no image prompt: no image stage) are skipped, not pending.
    const order = STAGE_IDS.indexOf(id);
    for (const earlier of STAGE_IDS.slice(0, order)) {
      const s = this.stages.get(earlier)!;
      if (s.state === 'pending') s.state = 'skipped';
    }
    const s = this.stages.get(id)!;
    s.state = 'active';
    s.startedAt = now;
    this.active = id;
    return s;
  }

  private finishStage(id: StageId, now: number): void {
    const s = this.stages.get(id)!;
    s.state = 'done';
    s.durationMs = s.startedAt === null ? 0 : now - s.startedAt;
    s.partFraction = 1;
  }

  onEvent(event: EngineStageEvent, now: number): void {
    switch (event.stage) {
      case 'load': {
        const s = this.enter('load', now);
        s.loadFraction = Math.min(1, Math.max(s.loadFraction, event.fraction));
        break;
      }
      case 'text':
      case 'image':
      case 'export':
        this.enter(event.stage, now);
        break;
      case 'step': {
        const step = Math.min(4, Math.max(1, Math.round((event.step / event.of) * 4)));
        const s = this.enter(`step${step}` as StageId, now);
        const parts = event.step >= event.of ? PARTS_LAST : PARTS_3D;
        const index = Math.max(0, parts.indexOf(event.part));
        s.part = event.part;
        s.partFraction = index / parts.length;
        break;
      }
      case 'done':
        if (this.active) this.finishStage(this.active, now);
        this.active = null;
        break;
    }
  }

  private stageFraction(id: StageId, s: StageState, now: number): number {
    if (s.state === 'done') return 1;
    if (s.state !== 'active') return 0;
    const expected = this.expected[id];
    const timeFraction =
      expected && expected > 0 && s.startedAt !== null ? Math.min(MAX_TIME_FRACTION, (now - s.startedAt) / expected) : 0;
    const eventFraction = id === 'load' ? s.loadFraction : s.partFraction;
    return Math.min(1, Math.max(timeFraction, eventFraction));
  }

  snapshot(now: number): JobProgress {
    const stages: StageProgress[] = [];
    let total = 0;
    let doneWeight = 0;
    let remainingMs = 0;
    let etaKnown = true;
    for (const id of STAGE_IDS) {
      const s = this.stages.get(id)!;
      const fraction = this.stageFraction(id, s, now);
      stages.push({ id, label: LABELS[id], state: s.state, fraction, part: s.state === 'active' ? s.part : null });
      if (s.state === 'skipped') continue;
      const expected = this.expected[id];
      const weight = expected ?? DEFAULT_WEIGHTS[id] * 1000;
      total += weight;
      doneWeight += weight * fraction;
      if (s.state !== 'done') {
        if (expected === undefined) etaKnown = false;
        else remainingMs += s.state === 'active' && s.startedAt !== null ? Math.max(0, expected - (now - s.startedAt)) : expected;
      }
    }
    return {
      stages,
      fraction: total > 0 ? Math.min(1, doneWeight / total) : 0,
      etaMs: etaKnown ? remainingMs : null,
    };
  }

  /** Measured durations of the finished stages (what the ETA model learns from). */
  measured(): StageDurations {
    const out: StageDurations = {};
    for (const [id, s] of this.stages) if (s.state === 'done' && s.durationMs !== null) out[id] = s.durationMs;
    return out;
  }
}
