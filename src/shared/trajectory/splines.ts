/**
 * Curve pieces over "channel" vectors (any number of components: a position, a position plus a
 * FOV, a time-to-parameter map). Pure numbers in, numbers out; pathModel.ts decides which piece
 * runs where.
 */

export type Channels = readonly number[];

export function lerpChannels(a: Channels, b: Channels, u: number): number[] {
  return a.map((v, i) => v + (b[i] - v) * u);
}

/** 2·a − b: the phantom point past `a` that mirrors `b`, used at the open ends of a path. */
export function reflectChannels(a: Channels, b: Channels): number[] {
  return a.map((v, i) => 2 * v - b[i]);
}

/** Centripetal Catmull-Rom's knot exponent: 0.5 avoids cusps and self-intersections (Yuksel et al.). */
export const CENTRIPETAL_ALPHA = 0.5;
/**
 * Smallest knot step. Keys at the same place (a "look around" turns without moving) would
 * otherwise give zero-length knot intervals and divide by zero; the tiny step keeps them ordered.
 */
export const MIN_KNOT_STEP = 1e-6;

/** Knot step |b − a|^α of centripetal Catmull-Rom, over the given channels. */
export function centripetalKnotStep(a: Channels, b: Channels): number {
  let sq = 0;
  for (let i = 0; i < a.length; i++) sq += (b[i] - a[i]) ** 2;
  return Math.max(Math.pow(Math.sqrt(sq), CENTRIPETAL_ALPHA), MIN_KNOT_STEP);
}

/**
 * Non-uniform Catmull-Rom between p1 (at knot t1) and p2 (at knot t2), evaluated at knot t by the
 * Barry–Goldman pyramid. With centripetal knots the curve is C1 in the knot parameter.
 */
export function catmullRomBarryGoldman(
  p0: Channels, p1: Channels, p2: Channels, p3: Channels,
  t0: number, t1: number, t2: number, t3: number,
  t: number,
): number[] {
  const out = new Array<number>(p1.length);
  for (let i = 0; i < p1.length; i++) {
    const a1 = ((t1 - t) * p0[i] + (t - t0) * p1[i]) / (t1 - t0);
    const a2 = ((t2 - t) * p1[i] + (t - t1) * p2[i]) / (t2 - t1);
    const a3 = ((t3 - t) * p2[i] + (t - t2) * p3[i]) / (t3 - t2);
    const b1 = ((t2 - t) * a1 + (t - t0) * a2) / (t2 - t0);
    const b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1);
    out[i] = ((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1);
  }
  return out;
}

export interface KochanekBartelsParams {
  tension: number;
  continuity: number;
  bias: number;
}

/**
 * Kochanek–Bartels tangents at `cur` (uniform parameter, one unit per segment): `incoming` ends
 * the segment that arrives at `cur`, `outgoing` starts the one that leaves it. With continuity 0
 * they are equal, so the path is C1.
 */
export function kochanekBartelsTangents(prev: Channels, cur: Channels, next: Channels, p: KochanekBartelsParams): { incoming: number[]; outgoing: number[] } {
  const { tension: t, continuity: c, bias: b } = p;
  const inA = ((1 - t) * (1 + b) * (1 + c)) / 2, inB = ((1 - t) * (1 - b) * (1 - c)) / 2;
  const outA = ((1 - t) * (1 + b) * (1 - c)) / 2, outB = ((1 - t) * (1 - b) * (1 + c)) / 2;
  const incoming = cur.map((v, i) => inA * (v - prev[i]) + inB * (next[i] - v));
  const outgoing = cur.map((v, i) => outA * (v - prev[i]) + outB * (next[i] - v));
  return { incoming, outgoing };
}

/** Cubic Hermite from p0 (tangent m0) at u = 0 to p1 (tangent m1) at u = 1. */
export function cubicHermite(p0: Channels, m0: Channels, p1: Channels, m1: Channels, u: number): number[] {
  const u2 = u * u, u3 = u2 * u;
  const h00 = 2 * u3 - 3 * u2 + 1, h10 = u3 - 2 * u2 + u, h01 = -2 * u3 + 3 * u2, h11 = u3 - u2;
  return p0.map((v, i) => h00 * v + h10 * m0[i] + h01 * p1[i] + h11 * m1[i]);
}

/** Index k of the interval [xs[k], xs[k+1]] that holds x (clamped to the first / last interval). */
export function findInterval(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length - 2;
  if (hi <= 0 || x <= xs[0]) return 0;
  if (x >= xs[hi]) return hi;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Monotone piecewise-cubic interpolation (PCHIP, Fritsch–Carlson slopes with scipy's end rule):
 * C1, passes through every node exactly, and never overshoots, so a time → path-parameter map
 * built with it runs forwards only. nerfstudio maps time to its spline the same way.
 */
export class MonotoneCubic {
  private readonly slopes: number[];

  constructor(private readonly xs: readonly number[], private readonly ys: readonly number[]) {
    const n = xs.length;
    if (n < 2 || ys.length !== n) throw new RangeError('MonotoneCubic needs at least two nodes and one y per x');
    const h: number[] = [], delta: number[] = [];
    for (let k = 0; k < n - 1; k++) {
      h.push(xs[k + 1] - xs[k]);
      if (!(h[k] > 0)) throw new RangeError('MonotoneCubic needs strictly increasing x');
      delta.push((ys[k + 1] - ys[k]) / h[k]);
    }
    const d = new Array<number>(n).fill(0);
    if (n === 2) {
      d[0] = d[1] = delta[0];
    } else {
      for (let k = 1; k < n - 1; k++) {
        if (delta[k - 1] * delta[k] <= 0) continue;
        const w1 = 2 * h[k] + h[k - 1], w2 = h[k] + 2 * h[k - 1];
        d[k] = (w1 + w2) / (w1 / delta[k - 1] + w2 / delta[k]);
      }
      d[0] = MonotoneCubic.endSlope(h[0], h[1], delta[0], delta[1]);
      d[n - 1] = MonotoneCubic.endSlope(h[n - 2], h[n - 3], delta[n - 2], delta[n - 3]);
    }
    this.slopes = d;
  }

  private static endSlope(h0: number, h1: number, m0: number, m1: number): number {
    const d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
    if (Math.sign(d) !== Math.sign(m0)) return 0;
    if (Math.sign(m0) !== Math.sign(m1) && Math.abs(d) > Math.abs(3 * m0)) return 3 * m0;
    return d;
  }

  evaluate(x: number): number {
    const k = findInterval(this.xs, x);
    const h = this.xs[k + 1] - this.xs[k];
    const [y] = cubicHermite([this.ys[k]], [this.slopes[k] * h], [this.ys[k + 1]], [this.slopes[k + 1] * h], (x - this.xs[k]) / h);
    return y;
  }
}
