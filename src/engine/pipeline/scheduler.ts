/**
 * The flow-matching noise schedule FlashWorld samples with: diffusers'
 * FlowMatchEulerDiscreteScheduler as upstream constructs it (app.py: `from_pretrained` with the
 * Wan2.2 TI2V scheduler config and shift 3, no `set_timesteps` call), with upstream's
 * `MyFlowMatchEulerDiscreteScheduler.index_for_timestep` override (nearest timestep).
 *
 * All arithmetic is float32 like the torch tensors: every operation is rounded with Math.fround
 * (one IEEE double operation rounded to float32 equals the float32 operation).
 */
import { DENOISING_STEP_INDICES, SCHEDULER_NUM_TRAIN_TIMESTEPS, SCHEDULER_SHIFT } from './constants';

const f32 = Math.fround;

export interface FlowMatchSchedule {
  /** descending, timesteps[i] = sigmas[i] · numTrainTimesteps (float32) */
  timesteps: Float32Array;
  /** descending from 1; one per timestep (the scheduler's __init__ appends no terminal 0) */
  sigmas: Float32Array;
}

export interface DenoisingStep {
  /** index into the schedule */
  index: number;
  /** the transformer's timestep input */
  timestep: number;
  sigma: number;
}

/**
 * diffusers `FlowMatchEulerDiscreteScheduler.__init__` with `use_dynamic_shifting` false:
 * t = linspace(1, N, N) reversed, σ = t / N, σ ← shift·σ / (1 + (shift − 1)·σ), timesteps = σ·N.
 */
export function flowMatchSchedule(numTrainTimesteps = SCHEDULER_NUM_TRAIN_TIMESTEPS, shift = SCHEDULER_SHIFT): FlowMatchSchedule {
  const sigmas = new Float32Array(numTrainTimesteps);
  const timesteps = new Float32Array(numTrainTimesteps);
  for (let i = 0; i < numTrainTimesteps; i++) {
    const t = numTrainTimesteps - i; // linspace(1, N, N)[::-1] is exact for integers
    const s = f32(t / numTrainTimesteps);
    const shifted = f32(f32(shift * s) / f32(1 + f32((shift - 1) * s)));
    sigmas[i] = shifted;
    timesteps[i] = f32(shifted * numTrainTimesteps);
  }
  return { timesteps, sigmas };
}

/** Upstream's override: the index of the nearest schedule timestep (first one on ties, as argmin). */
export function indexForTimestep(schedule: FlowMatchSchedule, timestep: number): number {
  const t = f32(timestep);
  let best = 0, bestDist = Infinity;
  for (let i = 0; i < schedule.timesteps.length; i++) {
    const d = Math.abs(f32(t - schedule.timesteps[i]));
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  }
  return best;
}

export function sigmaForTimestep(schedule: FlowMatchSchedule, timestep: number): number {
  return schedule.sigmas[indexForTimestep(schedule, timestep)];
}

/** The four steps upstream `generate` runs (indices [0, 250, 500, 750]). */
export function denoisingSteps(schedule: FlowMatchSchedule = flowMatchSchedule(), indices: readonly number[] = DENOISING_STEP_INDICES): DenoisingStep[] {
  return indices.map((index) => {
    if (!Number.isInteger(index) || index < 0 || index >= schedule.timesteps.length) {
      throw new RangeError(`denoising step index ${index} is outside the ${schedule.timesteps.length}-entry schedule`);
    }
    const timestep = schedule.timesteps[index];
    return { index, timestep, sigma: sigmaForTimestep(schedule, timestep) };
  });
}

function checkLengths(a: Float32Array, b: Float32Array, out: Float32Array, what: string): void {
  if (a.length !== b.length || out.length !== a.length) {
    throw new RangeError(`${what}: lengths differ (${a.length}, ${b.length}, out ${out.length})`);
  }
}

/**
 * Flow-matching forward process (diffusers `scale_noise`): σ·noise + (1 − σ)·x0, in float32.
 * `out` may alias `x0` or `noise`.
 */
export function scaleNoise(x0: Float32Array, sigma: number, noise: Float32Array, out = new Float32Array(x0.length)): Float32Array {
  checkLengths(x0, noise, out, 'scaleNoise');
  const s = f32(sigma), oneMinus = f32(1 - s);
  for (let i = 0; i < x0.length; i++) out[i] = f32(f32(s * noise[i]) + f32(oneMinus * x0[i]));
  return out;
}

/**
 * The clean-sample prediction from a velocity (upstream `forward_generator`:
 * `noisy_latents - sigma * v_pred`), in float32. `out` may alias either input.
 */
export function predictX0(noisy: Float32Array, sigma: number, velocity: Float32Array, out = new Float32Array(noisy.length)): Float32Array {
  checkLengths(noisy, velocity, out, 'predictX0');
  const s = f32(sigma);
  for (let i = 0; i < noisy.length; i++) out[i] = f32(noisy[i] - f32(s * velocity[i]));
  return out;
}
