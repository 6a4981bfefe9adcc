/**
 * Scheduler parity with upstream (tools/reference/make_math_fixtures.py `scheduler`): the
 * MyFlowMatchEulerDiscreteScheduler upstream builds from the Wan2.2 TI2V scheduler config with
 * shift 3, its timesteps/sigmas, the four step timesteps and sigmas via upstream's
 * index_for_timestep override, and scale_noise at steps 250/500/750.
 */
import { describe, expect, it } from 'vitest';
import { DENOISING_STEP_INDICES, SCHEDULER_NUM_TRAIN_TIMESTEPS, SCHEDULER_SHIFT } from '../../src/engine/pipeline/constants';
import { denoisingSteps, flowMatchSchedule, scaleNoise, sigmaForTimestep } from '../../src/engine/pipeline/scheduler';
import { fixtureExists, loadFixture } from '../helpers/fixtures';

const FIXTURE = 'parity/scheduler.safetensors';
const present = fixtureExists(FIXTURE);

describe('flow-match scheduler equals upstream', () => {
  const { tensors, metadata } = present ? loadFixture(FIXTURE) : { tensors: {}, metadata: {} as Record<string, string> };
  const data = (name: string) => tensors[name].data as Float32Array;
  const schedule = flowMatchSchedule();

  it('was built from the config our constants describe', () => {
    const config = JSON.parse(metadata.config) as Record<string, unknown>;
    expect(config.num_train_timesteps).toBe(SCHEDULER_NUM_TRAIN_TIMESTEPS);
    expect(config.shift).toBe(SCHEDULER_SHIFT);
    expect(config.use_dynamic_shifting).toBe(false);
  });

  it('has bit-identical timesteps and sigmas (1000 each, no terminal zero)', () => {
    expect(schedule.timesteps.length).toBe(tensors.timesteps.shape[0]);
    expect(schedule.sigmas.length).toBe(tensors.sigmas.shape[0]);
    expect(Array.from(schedule.timesteps)).toEqual(Array.from(data('timesteps')));
    expect(Array.from(schedule.sigmas)).toEqual(Array.from(data('sigmas')));
  });

  it('picks the same four step timesteps and sigmas', () => {
    const steps = denoisingSteps(schedule);
    expect(steps.map((s) => s.index)).toEqual([...DENOISING_STEP_INDICES]);
    expect(steps.map((s) => s.timestep)).toEqual(Array.from(data('step_timesteps')));
    expect(steps.map((s) => s.sigma)).toEqual(Array.from(data('step_sigmas')));
  });

  it('re-noises bit-identically to scale_noise at steps 250, 500 and 750', () => {
    for (const s of [250, 500, 750]) {
      const out = scaleNoise(data('x0'), sigmaForTimestep(schedule, schedule.timesteps[s]), data('noise'));
      expect(Array.from(out)).toEqual(Array.from(data(`scaled_${s}`)));
    }
  });
});
