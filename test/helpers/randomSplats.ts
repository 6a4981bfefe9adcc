/** Seeded random engine Gaussians and splat sets for the splat format tests. */
import { allocateSplatSet, type SplatSet } from '../../src/engine/splat/splatSet';
import { seededRandom } from './randomSplatScene';

export { seededRandom };

/**
 * Engine output as upstream's scene_params: per Gaussian xyz(3) opacity(1, in (0,1)) scale(3,
 * activated) rotation wxyz(4) SH(3·(d+1)²) coefficient-major. Some opacities fall below 0.00025.
 */
export function randomEngineGaussians(count: number, seed = 1, shDegree = 2): Float32Array {
  const rand = seededRandom(seed);
  const coeffs = (shDegree + 1) * (shDegree + 1);
  const stride = 11 + 3 * coeffs;
  const g = new Float32Array(count * stride);
  for (let i = 0; i < count; i++) {
    const o = i * stride;
    g[o] = rand() * 4 - 2;
    g[o + 1] = rand() * 4 - 2;
    g[o + 2] = rand() * 4 - 2;
    // A tenth below the upstream threshold, the rest spread over (0, 1).
    g[o + 3] = rand() < 0.1 ? rand() * 0.0002 : 0.0003 + rand() * 0.9996;
    for (let k = 0; k < 3; k++) g[o + 4 + k] = Math.exp(rand() * 6 - 7);
    for (let k = 0; k < 4; k++) g[o + 7 + k] = rand() * 2 - 1;
    for (let k = 0; k < 3 * coeffs; k++) g[o + 11 + k] = (rand() * 2 - 1) * (k < 3 ? 1.5 : 0.6);
  }
  return g;
}

/** A splat set with values in the ranges real scenes have (log scales, logits, SH in [-1, 1]). */
export function randomSplatSet(count: number, seed = 2, shDegree = 2): SplatSet {
  const rand = seededRandom(seed);
  const set = allocateSplatSet(count, shDegree);
  for (let i = 0; i < count * 3; i++) set.positions[i] = rand() * 20 - 10;
  for (let i = 0; i < count * 3; i++) set.scalesLog[i] = rand() * 8 - 8;
  for (let i = 0; i < count; i++) {
    let n = 0;
    const q = [0, 0, 0, 0].map(() => rand() * 2 - 1);
    for (const v of q) n += v * v;
    n = Math.sqrt(n);
    for (let k = 0; k < 4; k++) set.rotationsWXYZ[i * 4 + k] = q[k] / n;
  }
  for (let i = 0; i < count; i++) set.opacityLogit[i] = rand() * 10 - 5;
  for (let i = 0; i < count * 3; i++) set.shDC[i] = rand() * 3 - 1.5;
  for (let i = 0; i < set.shRest.length; i++) set.shRest[i] = rand() * 1.6 - 0.8;
  return set;
}
