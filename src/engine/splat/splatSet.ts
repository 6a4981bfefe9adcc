/**
 * The one in-memory form of an exported splat scene: struct-of-arrays in the conventions of the
 * INRIA 3DGS PLY (log scales, logit opacity, DC + channel-major "rest" SH). The PLY and SPZ
 * writers take it, their readers return it, and `prepareExport` makes it from engine output.
 */
import { StudioError } from '../../shared/errors';

export interface SplatSet {
  count: number;
  /** N×3 */
  positions: Float32Array;
  /** N×3, natural log of the activated scale. */
  scalesLog: Float32Array;
  /** N×4, w x y z (not necessarily unit length; renderers normalise). */
  rotationsWXYZ: Float32Array;
  /** N, logit of the activated opacity. */
  opacityLogit: Float32Array;
  /** N×3, degree-0 SH coefficient per channel (f_dc_0..2). */
  shDC: Float32Array;
  /**
   * N × 3·shRestPerChannel(shDegree), per splat channel-major like INRIA's f_rest_*: all R
   * coefficients of degree ≥ 1, then all G, then all B. Length 0 per splat for degree 0.
   */
  shRest: Float32Array;
  shDegree: number;
}

/** Coefficients of degree ≥ 1 per colour channel: 0, 3, 8, 15, 24 for degrees 0..4. */
export function shRestPerChannel(shDegree: number): number {
  return (shDegree + 1) * (shDegree + 1) - 1;
}

/** The degree whose rest-coefficient count per channel is `perChannel`, or -1 if none is. */
export function shDegreeForRestPerChannel(perChannel: number): number {
  for (let d = 0; d <= 4; d++) if (shRestPerChannel(d) === perChannel) return d;
  return -1;
}

export function allocateSplatSet(count: number, shDegree: number): SplatSet {
  return {
    count,
    positions: new Float32Array(count * 3),
    scalesLog: new Float32Array(count * 3),
    rotationsWXYZ: new Float32Array(count * 4),
    opacityLogit: new Float32Array(count),
    shDC: new Float32Array(count * 3),
    shRest: new Float32Array(count * 3 * shRestPerChannel(shDegree)),
    shDegree,
  };
}

/**
 * The first `count` splats of `set` as views of its arrays, without copying. Lets a producer
 * allocate for the most splats it might write and keep only those it wrote: memory past them
 * is never touched, so it costs address space only.
 */
export function firstSplats(set: SplatSet, count: number): SplatSet {
  if (count === set.count) return set;
  const rest = 3 * shRestPerChannel(set.shDegree);
  return {
    count,
    positions: set.positions.subarray(0, count * 3),
    scalesLog: set.scalesLog.subarray(0, count * 3),
    rotationsWXYZ: set.rotationsWXYZ.subarray(0, count * 4),
    opacityLogit: set.opacityLogit.subarray(0, count),
    shDC: set.shDC.subarray(0, count * 3),
    shRest: set.shRest.subarray(0, count * rest),
    shDegree: set.shDegree,
  };
}

/** Throws INTERNAL when array lengths disagree with `count` (a bug in whoever built the set). */
export function assertSplatSetShape(set: SplatSet): void {
  const n = set.count;
  const expected: [string, number, number][] = [
    ['positions', set.positions.length, n * 3],
    ['scalesLog', set.scalesLog.length, n * 3],
    ['rotationsWXYZ', set.rotationsWXYZ.length, n * 4],
    ['opacityLogit', set.opacityLogit.length, n],
    ['shDC', set.shDC.length, n * 3],
    ['shRest', set.shRest.length, n * 3 * shRestPerChannel(set.shDegree)],
  ];
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(set.shDegree) || set.shDegree < 0 || set.shDegree > 4) {
    throw new StudioError('INTERNAL', `Splat set has count ${n} and SH degree ${set.shDegree}; expected a count ≥ 0 and a degree 0..4.`);
  }
  for (const [name, actual, want] of expected) {
    if (actual !== want) {
      throw new StudioError('INTERNAL', `Splat set field ${name} has ${actual} values; ${n} splats of SH degree ${set.shDegree} need ${want}.`);
    }
  }
}
