/**
 * IEEE half ↔ f32 in integer arithmetic, so the rasterizer can read the recon decoder's fp16
 * Gaussians and hand the VAE encoder fp16 renders without the shader-f16 extension and without
 * trusting the GPU's own conversions: WGSL leaves the f32 → f16 rounding mode to the
 * implementation (either neighbour is allowed) and lets it flush subnormals, both ways. These two
 * functions are the exact counterparts of weights/halfFloat.ts:
 *   halfBitsToF32      ≡ halfArrayToFloat32 (exact; every half is an f32; NaN → 0x7fc00000 as V8 stores NaN)
 *   f32BitsToHalfBits  ≡ float32ArrayToHalf (round to nearest even; overflow → ±Inf; NaN → quiet NaN)
 * The results travel as bit patterns (u32 / bitcast), so no float conversion can touch them.
 */
export const HALF_FLOAT_WGSL = /* wgsl */ `
fn halfBitsToF32(h: u32) -> f32 {
  let sign = (h & 0x8000u) << 16u;
  let exponent = (h >> 10u) & 0x1fu;
  let mantissa = h & 0x3ffu;
  if (exponent == 0x1fu) {
    return bitcast<f32>(select(sign | 0x7f800000u, 0x7fc00000u, mantissa != 0u));
  }
  if (exponent != 0u) {
    return bitcast<f32>(sign | ((exponent + 112u) << 23u) | (mantissa << 13u));
  }
  if (mantissa == 0u) {
    return bitcast<f32>(sign);
  }
  // Subnormal half: mantissa · 2^-24 is a normal f32; its top bit becomes the implicit one.
  let top = 31u - countLeadingZeros(mantissa);
  return bitcast<f32>(sign | ((top + 103u) << 23u) | ((mantissa << (23u - top)) & 0x7fffffu));
}

fn f32BitsToHalfBits(x: u32) -> u32 {
  let sign = (x >> 16u) & 0x8000u;
  let exponent = (x >> 23u) & 0xffu;
  var mantissa = x & 0x7fffffu;
  if (exponent == 0xffu) {
    return sign | 0x7c00u | select(0u, 0x200u, mantissa != 0u);
  }
  let e = i32(exponent) - 112;
  if (e >= 31) {
    return sign | 0x7c00u;
  }
  if (e <= 0) {
    if (e < -10) {
      return sign;
    }
    mantissa = mantissa | 0x800000u;
    let shift = u32(14 - e);
    var half = mantissa >> shift;
    let rest = mantissa & ((1u << shift) - 1u);
    let middle = 1u << (shift - 1u);
    if (rest > middle || (rest == middle && (half & 1u) == 1u)) {
      half += 1u;
    }
    return sign | half;
  }
  // A round-up that carries into the exponent (or to Inf) is still the right answer.
  var half = (u32(e) << 10u) | (mantissa >> 13u);
  let rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u) == 1u)) {
    half += 1u;
  }
  return sign | half;
}
`;
