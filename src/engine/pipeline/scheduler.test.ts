import { describe, expect, it } from 'vitest';
import { denoisingSteps, flowMatchSchedule, indexForTimestep, predictX0, scaleNoise, sigmaForTimestep } from './scheduler';

describe('flow-match schedule (shift 3, 1000 steps)', () => {
  const schedule = flowMatchSchedule();

  it('starts at σ = 1 / t = 1000 and decreases strictly', () => {
    expect(schedule.sigmas.length).toBe(1000);
    expect(schedule.sigmas[0]).toBe(1);
    expect(schedule.timesteps[0]).toBe(1000);
    for (let i = 1; i < 1000; i++) {
      expect(schedule.sigmas[i]).toBeLessThan(schedule.sigmas[i - 1]);
      expect(schedule.timesteps[i]).toBeLessThan(schedule.timesteps[i - 1]);
    }
  });

  it('applies the shift σ′ = 3σ / (1 + 2σ) to the linear schedule', () => {
    // index 750 → σ = 250/1000 = 0.25 → 0.75 / 1.5 = 0.5; last → 0.001 → 0.003/1.002
    expect(schedule.sigmas[750]).toBeCloseTo(0.5, 7);
    expect(schedule.sigmas[999]).toBeCloseTo(0.003 / 1.002, 9);
    expect(schedule.timesteps[500]).toBeCloseTo(1000 * (1.5 / 2), 3);
  });

  it('finds every timestep at its own index (nearest match, as upstream overrides it)', () => {
    for (let i = 0; i < 1000; i++) expect(indexForTimestep(schedule, schedule.timesteps[i])).toBe(i);
    expect(indexForTimestep(schedule, 2000)).toBe(0);
    expect(indexForTimestep(schedule, -5)).toBe(999);
    expect(sigmaForTimestep(schedule, schedule.timesteps[250] + 0.01)).toBe(schedule.sigmas[250]);
  });

  it('runs the four upstream steps at indices 0, 250, 500, 750', () => {
    const steps = denoisingSteps(schedule);
    expect(steps.map((s) => s.index)).toEqual([0, 250, 500, 750]);
    expect(steps[0].sigma).toBe(1);
    expect(steps[3].sigma).toBeCloseTo(0.5, 7);
    expect(() => denoisingSteps(schedule, [1000])).toThrow(RangeError);
  });
});

describe('scaleNoise and predictX0', () => {
  const x0 = Float32Array.from([1, -2, 0.5, 3]);
  const noise = Float32Array.from([0.1, 0.2, -0.3, 4]);

  it('interpolates from the clean sample (σ = 0) to pure noise (σ = 1)', () => {
    expect(Array.from(scaleNoise(x0, 0, noise))).toEqual(Array.from(x0));
    expect(Array.from(scaleNoise(x0, 1, noise))).toEqual(Array.from(noise));
    const half = scaleNoise(x0, 0.25, noise);
    for (let i = 0; i < 4; i++) expect(half[i]).toBeCloseTo(0.25 * noise[i] + 0.75 * x0[i], 6);
  });

  it('inverts the forward process for a velocity noise − x0', () => {
    const sigma = 0.6;
    const noisy = scaleNoise(x0, sigma, noise);
    const v = Float32Array.from(noise, (n, i) => n - x0[i]);
    const back = predictX0(noisy, sigma, v);
    for (let i = 0; i < 4; i++) expect(back[i]).toBeCloseTo(x0[i], 6);
  });

  it('writes in place and rejects mismatched lengths', () => {
    const buf = Float32Array.from(x0);
    expect(scaleNoise(buf, 1, noise, buf)).toBe(buf);
    expect(Array.from(buf)).toEqual(Array.from(noise));
    expect(() => scaleNoise(x0, 0.5, new Float32Array(3))).toThrow(RangeError);
  });
});
