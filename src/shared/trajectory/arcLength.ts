/**
 * Arc length of a parametric curve, tabulated so that "how far along" converts to the curve
 * parameter and back. Used for constant-speed playback and sampling.
 */
import { distance3, type Vec3 } from './vector';

/** Sub-steps per path segment: chord sums converge quadratically, so this is far below 1 % error. */
export const ARC_LENGTH_STEPS_PER_SEGMENT = 128;

export class ArcLengthTable {
  private readonly params: number[] = [];
  private readonly lengths: number[] = [];

  /**
   * @param knots the curve parameter at each key, increasing; each interval is one segment
   * @param positionAt the curve's position at a parameter in [knots[0], knots[last]]
   */
  constructor(knots: readonly number[], positionAt: (s: number) => Vec3, stepsPerSegment = ARC_LENGTH_STEPS_PER_SEGMENT) {
    let total = 0;
    let previous = positionAt(knots[0]);
    this.params.push(knots[0]);
    this.lengths.push(0);
    for (let j = 0; j + 1 < knots.length; j++) {
      for (let k = 1; k <= stepsPerSegment; k++) {
        const s = k === stepsPerSegment ? knots[j + 1] : knots[j] + ((knots[j + 1] - knots[j]) * k) / stepsPerSegment;
        const p = positionAt(s);
        total += distance3(previous, p);
        previous = p;
        this.params.push(s);
        this.lengths.push(total);
      }
    }
  }

  get totalLength(): number {
    return this.lengths[this.lengths.length - 1];
  }

  /** Curve parameter at which the path has covered `length` (clamped to the path). */
  parameterAtLength(length: number): number {
    const L = this.lengths, P = this.params;
    if (length <= 0) return P[0];
    if (length >= L[L.length - 1]) return P[P.length - 1];
    let lo = 0, hi = L.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (L[mid] <= length) lo = mid;
      else hi = mid;
    }
    const span = L[hi] - L[lo];
    const f = span > 0 ? (length - L[lo]) / span : 0;
    return P[lo] + (P[hi] - P[lo]) * f;
  }

  /** Length covered from the start up to parameter s. */
  lengthAtParameter(s: number): number {
    const L = this.lengths, P = this.params;
    if (s <= P[0]) return 0;
    if (s >= P[P.length - 1]) return L[L.length - 1];
    let lo = 0, hi = P.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (P[mid] <= s) lo = mid;
      else hi = mid;
    }
    const span = P[hi] - P[lo];
    return L[lo] + (L[hi] - L[lo]) * (span > 0 ? (s - P[lo]) / span : 0);
  }
}
