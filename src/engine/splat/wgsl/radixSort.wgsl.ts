/**
 * Stable LSD radix sort of (u32 key, u32 value) pairs, 4 bits a pass. Stability is what makes the
 * result equal gsplat's: gsplat sorts 64-bit (tile | depth) keys with CUB's stable radix sort, so
 * equal depths keep Gaussian-index order. We sort depths first (stable, from index order), then
 * tile ids (stable), which gives the same per-tile order.
 *
 * A pass is: `histogram` (per block of ITEMS_PER_BLOCK keys, digit counts stored digit-major:
 * hist[digit * blocks + block]), an exclusive prefix sum of that array (prefixSum.wgsl) giving each
 * (digit, block) its first output slot, then `scatter`, which ranks keys inside the block stably
 * (four 1-bit splits in workgroup memory) and writes them out.
 */
import { COMMON_WGSL, WORKGROUP_SCAN_WGSL } from './common.wgsl';

export const RADIX_BITS = 4;
export const RADIX_DIGITS = 1 << RADIX_BITS;

export const RADIX_SORT_WGSL = /* wgsl */ `
${COMMON_WGSL}
${WORKGROUP_SCAN_WGSL}

const RADIX_BITS: u32 = ${RADIX_BITS}u;
const DIGITS: u32 = ${RADIX_DIGITS}u;
const INDEX_BITS: u32 = 10u; // log2(ITEMS_PER_BLOCK)

struct SortParams {
  countSlot: u32,
  capacity: u32,
  shift: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: SortParams;
@group(0) @binding(1) var<storage, read> keysIn: array<u32>;
@group(0) @binding(2) var<storage, read> valuesIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> hist: array<u32>;
@group(0) @binding(4) var<storage, read_write> keysOut: array<u32>;
@group(0) @binding(5) var<storage, read_write> valuesOut: array<u32>;
@group(0) @binding(6) var<storage, read_write> counters: array<u32>;

var<workgroup> digitCounts: array<atomic<u32>, DIGITS>;
// Packed (digit << INDEX_BITS) | local index, sorted by digit in place.
var<workgroup> order: array<u32, ITEMS_PER_BLOCK>;
var<workgroup> digitStart: array<u32, DIGITS>;
var<workgroup> digitBase: array<u32, DIGITS>;

fn keyCount() -> u32 {
  return min(counters[params.countSlot], params.capacity);
}

fn digitOf(key: u32) -> u32 {
  return (key >> params.shift) & (DIGITS - 1u);
}

@compute @workgroup_size(THREADS)
fn histogram(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let n = keyCount();
  let blocks = (n + ITEMS_PER_BLOCK - 1u) / ITEMS_PER_BLOCK;
  let block = flatWorkgroup(wid, nwg);
  if (lid < DIGITS) {
    atomicStore(&digitCounts[lid], 0u);
  }
  workgroupBarrier();
  for (var k = 0u; k < 4u; k++) {
    let i = block * ITEMS_PER_BLOCK + k * THREADS + lid;
    if (i < n) {
      atomicAdd(&digitCounts[digitOf(keysIn[i])], 1u);
    }
  }
  workgroupBarrier();
  if (lid < DIGITS && block < blocks) {
    hist[lid * blocks + block] = atomicLoad(&digitCounts[lid]);
  }
}

@compute @workgroup_size(THREADS)
fn scatter(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let n = keyCount();
  let blocks = (n + ITEMS_PER_BLOCK - 1u) / ITEMS_PER_BLOCK;
  let block = flatWorkgroup(wid, nwg);
  let blockFirst = block * ITEMS_PER_BLOCK;
  // Each invocation owns 4 consecutive slots of 'order'. Padding past n gets the largest digit,
  // so it sorts after every real key (stability keeps it behind real keys of that digit too).
  for (var k = 0u; k < 4u; k++) {
    let j = lid * 4u + k;
    var digit = DIGITS - 1u;
    if (blockFirst + j < n) {
      digit = digitOf(keysIn[blockFirst + j]);
    }
    order[j] = (digit << INDEX_BITS) | j;
  }
  workgroupBarrier();
  for (var bit = 0u; bit < RADIX_BITS; bit++) {
    var entries: array<u32, 4>;
    var zeros = vec4u(0u);
    for (var k = 0u; k < 4u; k++) {
      entries[k] = order[lid * 4u + k];
      zeros[k] = 1u - ((entries[k] >> (INDEX_BITS + bit)) & 1u);
    }
    let mine = zeros.x + zeros.y + zeros.z + zeros.w;
    let scanned = workgroupExclusiveScan(lid, mine); // barriers: every read of 'order' is done
    var zerosBefore = scanned.x;
    for (var k = 0u; k < 4u; k++) {
      let position = lid * 4u + k;
      var slot = zerosBefore;
      if (zeros[k] == 0u) {
        slot = scanned.y + (position - zerosBefore);
      }
      order[slot] = entries[k];
      zerosBefore += zeros[k];
    }
    workgroupBarrier();
  }
  for (var k = 0u; k < 4u; k++) {
    let position = lid * 4u + k;
    let digit = order[position] >> INDEX_BITS;
    if (position == 0u || (order[position - 1u] >> INDEX_BITS) != digit) {
      digitStart[digit] = position;
    }
  }
  if (lid < DIGITS && block < blocks) {
    digitBase[lid] = hist[lid * blocks + block];
  }
  workgroupBarrier();
  for (var k = 0u; k < 4u; k++) {
    let position = lid * 4u + k;
    let entry = order[position];
    let i = blockFirst + (entry & (ITEMS_PER_BLOCK - 1u));
    if (i < n) {
      let digit = entry >> INDEX_BITS;
      let destination = digitBase[digit] + (position - digitStart[digit]);
      keysOut[destination] = keysIn[i];
      valuesOut[destination] = valuesIn[i];
    }
  }
}
`;
