/**
 * Rotating view-dependent colour. When splats are carried from camera 0's frame into the world
 * frame by a rotation R, each splat must show in world direction R·d the colour it showed in
 * direction d, so its degree-1 and degree-2 SH coefficients are transformed too (degree 0 is
 * rotation invariant). The per-band matrices are found numerically in the real SH basis that
 * 3DGS renderers evaluate (INRIA sh_utils / gsplat), so no sign convention is guessed.
 */

const SH_C1 = 0.4886025119029199;
const SH_C2 = [1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396];

/** The degree-1 and degree-2 basis functions at unit direction (x, y, z), as renderers order them. */
export function evalShBasisBands12(x: number, y: number, z: number): number[] {
  return [
    -SH_C1 * y, SH_C1 * z, -SH_C1 * x,
    SH_C2[0] * x * y, SH_C2[1] * y * z, SH_C2[2] * (2 * z * z - x * x - y * y), SH_C2[3] * x * z, SH_C2[4] * (x * x - y * y),
  ];
}

/** Directions spread enough that the 5 band-2 functions are independent over them. */
const SAMPLE_DIRECTIONS: [number, number, number][] = (() => {
  const dirs: [number, number, number][] = [];
  for (let i = 0; i < 24; i++) {
    // Fibonacci sphere: deterministic and well spread.
    const z = 1 - (2 * (i + 0.5)) / 24;
    const r = Math.sqrt(1 - z * z);
    const phi = i * Math.PI * (3 - Math.sqrt(5));
    dirs.push([r * Math.cos(phi), r * Math.sin(phi), z]);
  }
  return dirs;
})();

/** Solves the least-squares system A·T = B for T (A: m×k, B: m×k), through the normal equations. */
function leastSquares(a: number[][], b: number[][], k: number): number[][] {
  const ata = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const atb = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < a.length; i++) {
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) {
        ata[r][c] += a[i][r] * a[i][c];
        atb[r][c] += a[i][r] * b[i][c];
      }
    }
  }
  // Gauss-Jordan with partial pivoting on [AtA | AtB].
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(ata[r][col]) > Math.abs(ata[pivot][col])) pivot = r;
    [ata[col], ata[pivot]] = [ata[pivot], ata[col]];
    [atb[col], atb[pivot]] = [atb[pivot], atb[col]];
    const p = ata[col][col];
    for (let c = 0; c < k; c++) {
      ata[col][c] /= p;
      atb[col][c] /= p;
    }
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = ata[r][col];
      if (f === 0) continue;
      for (let c = 0; c < k; c++) {
        ata[r][c] -= f * ata[col][c];
        atb[r][c] -= f * atb[col][c];
      }
    }
  }
  return atb;
}

export interface ShRotation {
  /** 3×3 row-major: band-1 coefficients c' = M1 · c. */
  band1: Float64Array;
  /** 5×5 row-major: band-2 coefficients c' = M2 · c. */
  band2: Float64Array;
}

/**
 * Matrices that turn coefficients of a function f into those of f∘Rᵀ (the same lighting carried
 * along by the rotation `rotation`, 3×3 row-major).
 */
export function shRotationForMatrix(rotation: ArrayLike<number>): ShRotation {
  const r = rotation;
  const a: number[][] = [];
  const b: number[][] = [];
  for (const [x, y, z] of SAMPLE_DIRECTIONS) {
    a.push(evalShBasisBands12(x, y, z));
    // Rᵀ·d
    const rx = r[0] * x + r[3] * y + r[6] * z;
    const ry = r[1] * x + r[4] * y + r[7] * z;
    const rz = r[2] * x + r[5] * y + r[8] * z;
    b.push(evalShBasisBands12(rx, ry, rz));
  }
  // Basis(d)·c' = Basis(Rᵀd)·c for all d  ⇒  c' = T·c with A·T = B (bands do not mix).
  const t1 = leastSquares(a.map((row) => row.slice(0, 3)), b.map((row) => row.slice(0, 3)), 3);
  const t2 = leastSquares(a.map((row) => row.slice(3, 8)), b.map((row) => row.slice(3, 8)), 5);
  return { band1: Float64Array.from(t1.flat()), band2: Float64Array.from(t2.flat()) };
}

/**
 * Rotates, in place, the channel-major rest coefficients of splat `i` (per splat: `perChannel`
 * values for R, then G, then B; the first 3 of a channel are band 1, the next 5 band 2; higher
 * bands are left alone, since the engine never produces them).
 */
export function rotateSplatShRest(shRest: Float32Array, i: number, perChannel: number, rot: ShRotation): void {
  if (perChannel < 3) return;
  const m1 = rot.band1;
  const m2 = rot.band2;
  for (let ch = 0; ch < 3; ch++) {
    const o = (i * 3 + ch) * perChannel;
    const c0 = shRest[o], c1 = shRest[o + 1], c2 = shRest[o + 2];
    shRest[o] = m1[0] * c0 + m1[1] * c1 + m1[2] * c2;
    shRest[o + 1] = m1[3] * c0 + m1[4] * c1 + m1[5] * c2;
    shRest[o + 2] = m1[6] * c0 + m1[7] * c1 + m1[8] * c2;
    if (perChannel < 8) continue;
    const d0 = shRest[o + 3], d1 = shRest[o + 4], d2 = shRest[o + 5], d3 = shRest[o + 6], d4 = shRest[o + 7];
    for (let r = 0; r < 5; r++) {
      const m = r * 5;
      shRest[o + 3 + r] = m2[m] * d0 + m2[m + 1] * d1 + m2[m + 2] * d2 + m2[m + 3] * d3 + m2[m + 4] * d4;
    }
  }
}

/** rotateSplatShRest over splats [0, count). */
export function rotateShRestInPlace(shRest: Float32Array, count: number, perChannel: number, rot: ShRotation): void {
  for (let i = 0; i < count; i++) rotateSplatShRest(shRest, i, perChannel, rot);
}
