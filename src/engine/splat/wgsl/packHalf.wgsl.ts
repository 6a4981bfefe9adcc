/**
 * f32 values → fp16 bits, two to a u32 (little-endian: the even element in the low half), for
 * views the VAE encoder reads as fp16. Runs after the views of a batch are rasterized into the
 * f32 output, so the fp16 renders are the f32 renders rounded, bit for bit what
 * weights/halfFloat.ts float32ArrayToHalf gives (see halfFloat.wgsl.ts), at half the read-back.
 */
import { COMMON_WGSL } from './common.wgsl';
import { HALF_FLOAT_WGSL } from './halfFloat.wgsl';

export const PACK_HALF_WGSL = /* wgsl */ `
${COMMON_WGSL}
${HALF_FLOAT_WGSL}

struct PackParams {
  count: u32,   // f32 values to convert
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> pack: PackParams;
@group(0) @binding(1) var<storage, read> source: array<u32>;
@group(0) @binding(2) var<storage, read_write> packed: array<u32>;

@compute @workgroup_size(THREADS)
fn packHalf(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let pair = flatWorkgroup(wid, nwg) * THREADS + lid;
  let first = pair * 2u;
  if (first >= pack.count) {
    return;
  }
  var high = 0u;
  if (first + 1u < pack.count) {
    high = f32BitsToHalfBits(source[first + 1u]);
  }
  packed[pair] = f32BitsToHalfBits(source[first]) | (high << 16u);
}
`;
