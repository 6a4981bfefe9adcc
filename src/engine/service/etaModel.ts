/**
 * Stage durations learned from past runs, so progress bars move at the speed this machine
 * really has and the ETA means something. Keyed by model and resolution; a resolution never seen
 * borrows the nearest one of the same model, scaled by pixel count (compute grows ~linearly in
 * frames × H × W). Persisted as plain JSON by the service.
 */
import type { StageId } from '../../shared/api/jobSchemas';

/** How much one new run moves the estimate: recent runs matter more (caches warm, drivers settle). */
const EMA_WEIGHT = 0.5;

export type StageDurations = Partial<Record<StageId, number>>;

export interface EtaKey {
  model: string;
  frames: number;
  height: number;
  width: number;
}

function keyString(k: EtaKey): string {
  return `${k.model}:${k.frames}x${k.height}x${k.width}`;
}

function parseKey(s: string): EtaKey | null {
  const m = /^(.*):(\d+)x(\d+)x(\d+)$/.exec(s);
  return m ? { model: m[1], frames: +m[2], height: +m[3], width: +m[4] } : null;
}

export class EtaModel {
  private readonly table = new Map<string, StageDurations>();

  static fromJSON(json: unknown): EtaModel {
    const model = new EtaModel();
    if (json && typeof json === 'object') {
      for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
        if (!parseKey(key) || !value || typeof value !== 'object') continue;
        const durations: StageDurations = {};
        for (const [stage, ms] of Object.entries(value as Record<string, unknown>)) {
          if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) durations[stage as StageId] = ms;
        }
        model.table.set(key, durations);
      }
    }
    return model;
  }

  toJSON(): Record<string, StageDurations> {
    return Object.fromEntries(this.table);
  }

  /** Folds one finished run's measured stage durations into the estimate. */
  record(key: EtaKey, measured: StageDurations): void {
    const k = keyString(key);
    const current = this.table.get(k) ?? {};
    for (const [stage, ms] of Object.entries(measured) as [StageId, number][]) {
      const old = current[stage];
      current[stage] = old === undefined ? ms : old * (1 - EMA_WEIGHT) + ms * EMA_WEIGHT;
    }
    this.table.set(k, current);
  }

  /** Expected durations for a run, or an empty object when nothing of this model was ever measured. */
  estimate(key: EtaKey): StageDurations {
    const exact = this.table.get(keyString(key));
    if (exact) return { ...exact };
    const pixels = key.frames * key.height * key.width;
    let best: { durations: StageDurations; ratio: number } | null = null;
    for (const [k, durations] of this.table) {
      const other = parseKey(k);
      if (!other || other.model !== key.model) continue;
      const ratio = pixels / (other.frames * other.height * other.width);
      if (!best || Math.abs(Math.log(ratio)) < Math.abs(Math.log(best.ratio))) best = { durations, ratio };
    }
    if (!best) return {};
    const scaled: StageDurations = {};
    for (const [stage, ms] of Object.entries(best.durations) as [StageId, number][]) {
      // Loading the model doesn't depend on the resolution.
      scaled[stage] = stage === 'load' ? ms : ms * best.ratio;
    }
    return scaled;
  }
}
