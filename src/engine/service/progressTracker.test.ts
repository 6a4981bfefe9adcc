import { describe, expect, it } from 'vitest';
import { ProgressTracker } from './progressTracker';
import { EtaModel } from './etaModel';

const step = (s: number, part: 'transformer' | 'decode' | 'render' | 'encode') => ({ stage: 'step' as const, step: s, of: 4, part });

describe('progress tracker', () => {
  it('walks the stages in order, skipping what the engine jumped over, with sub-stage fractions', () => {
    const t = new ProgressTracker({}, false);
    t.onEvent({ stage: 'text' }, 0);
    t.onEvent(step(1, 'transformer'), 100); // no image prompt: 'image' never started
    t.onEvent(step(1, 'render'), 150);
    const p = t.snapshot(150);
    const byId = Object.fromEntries(p.stages.map((s) => [s.id, s]));
    expect(byId.load.state).toBe('skipped');
    expect(byId.text.state).toBe('done');
    expect(byId.image.state).toBe('skipped');
    expect(byId.step1).toMatchObject({ state: 'active', part: 'render', fraction: 0.5 });
    expect(byId.step2.state).toBe('pending');
    expect(p.fraction).toBeGreaterThan(0);
    expect(p.fraction).toBeLessThan(0.5);
    expect(p.etaMs).toBeNull(); // nothing learned yet
  });

  it('overall fraction only grows as events arrive', () => {
    const t = new ProgressTracker({}, true);
    const events = [
      { stage: 'load' as const, fraction: 0.5 },
      { stage: 'text' as const },
      { stage: 'image' as const },
      ...[1, 2, 3].flatMap((k) => (['transformer', 'decode', 'render', 'encode'] as const).map((p) => step(k, p))),
      step(4, 'transformer'),
      step(4, 'decode'),
      { stage: 'export' as const },
    ];
    let last = -1;
    events.forEach((e, i) => {
      t.onEvent(e, i * 10);
      const f = t.snapshot(i * 10).fraction;
      expect(f).toBeGreaterThanOrEqual(last);
      last = f;
    });
    t.onEvent({ stage: 'done' }, 1000);
    expect(t.snapshot(1000).fraction).toBe(1);
    expect(Object.keys(t.measured())).toContain('step4');
  });

  it('learns durations and gives an ETA that counts down', () => {
    const eta = new EtaModel();
    const key = { model: 'test', frames: 4, height: 64, width: 96 };
    const first = new ProgressTracker(eta.estimate(key), false);
    let now = 0;
    for (const e of [{ stage: 'text' as const }, { stage: 'image' as const }, step(1, 'transformer'), step(2, 'transformer'), step(3, 'transformer'), step(4, 'transformer'), { stage: 'export' as const }, { stage: 'done' as const }]) {
      first.onEvent(e, now);
      now += 1000;
    }
    eta.record(key, first.measured());
    const second = new ProgressTracker(eta.estimate(key), false);
    second.onEvent({ stage: 'text' }, 0);
    const atStart = second.snapshot(0).etaMs!;
    expect(atStart).toBeCloseTo(7000, -1);
    expect(second.snapshot(500).etaMs!).toBeCloseTo(6500, -1);
    // A time-based bar moves between events, but never finishes a stage alone.
    expect(second.snapshot(500).stages.find((s) => s.id === 'text')!.fraction).toBeCloseTo(0.5, 2);
    expect(second.snapshot(5000).stages.find((s) => s.id === 'text')!.fraction).toBeLessThan(1);
  });

  it('estimates an unseen resolution from the nearest one, scaled by pixels, and survives JSON', () => {
    const eta = new EtaModel();
    eta.record({ model: 'test', frames: 4, height: 64, width: 96 }, { step1: 100, load: 50 });
    const back = EtaModel.fromJSON(JSON.parse(JSON.stringify(eta)));
    const est = back.estimate({ model: 'test', frames: 8, height: 64, width: 96 });
    expect(est.step1).toBeCloseTo(200);
    expect(est.load).toBe(50);
    expect(back.estimate({ model: 'other', frames: 4, height: 64, width: 96 })).toEqual({});
  });
});
