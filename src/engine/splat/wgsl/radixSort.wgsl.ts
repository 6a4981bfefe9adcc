/**
 * Stable LSD radix sort of (u32 key, u32 value) pairs, 4 bits a pass. Stability is what makes the
 * result equal gsplat's: gsplat sorts 64-bit (tile | depth) keys with CUB's stable radix sort, so
 * equal depths keep Gaussian-index order. We sort depths first (stable, from index order), then
 * tile ids (stable), which gives the same per-tile order.
 *
 * A pass is: `histogram` (per block of ITEMS_PER_BLOCK keys, digit counts stored digit-major:
 * hist[digit * blocks + block]), an exclusive prefix sum of that array (prefixSum.wgsl) giving each
 * (digit, block) its first output slot, then `scatter`. In `scatter` each invocation owns 4
 * consecutive keys and counts its digits in 16 packed 16-bit counters (8 u32); one workgroup scan
 * of those counters gives, per digit, how many keys of earlier invocations share it, so every key's
 * stable output slot is known without reordering the block.
 */
import { COMMON_WGSL } from './common.wgsl';

export const RADIX_BITS = 4;
export const RADIX_DIGITS = 1 << RADIX_BITS;

export const RADIX_SORT_WGSL = /* wgsl */ `
${COMMON_WGSL}

const DIGITS: u32 = ${RADIX_DIGITS}u;
const RAKES: u32 = 16u;
const RAKE_LENGTH: u32 = THREADS / RAKES;

struct SortParams {
  countSlot: u32,
  capacity: u32,
  shift: u32,
  _pad: u32,
}

// 16 digit counters, two 16-bit halves per u32 (a block has at most 1024 keys of one digit).
struct Counters {
  low: vec4u,   // digits 0..7
  high: vec4u,  // digits 8..15
}

@group(0) @binding(0) var<uniform> params: SortParams;
@group(0) @binding(1) var<storage, read> keysIn: array<u32>;
@group(0) @binding(2) var<storage, read> valuesIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> hist: array<u32>;
@group(0) @binding(4) var<storage, read_write> keysOut: array<u32>;
@group(0) @binding(5) var<storage, read_write> valuesOut: array<u32>;
@group(0) @binding(6) var<storage, read_write> counters: array<u32>;

var<workgroup> digitCounts: array<atomic<u32>, DIGITS>;
var<workgroup> counterScratch: array<Counters, THREADS>;
var<workgroup> rakeSums: array<Counters, RAKES>;
var<workgroup> digitBase: array<u32, DIGITS>;

fn keyCount() -> u32 {
  return min(counters[params.countSlot], params.capacity);
}

fn digitOf(key: u32) -> u32 {
  return (key >> params.shift) & (DIGITS - 1u);
}

fn addCounters(a: Counters, b: Counters) -> Counters {
  return Counters(a.low + b.low, a.high + b.high);
}

fn counterOf(c: Counters, digit: u32) -> u32 {
  let word = digit >> 1u;
  var packed = c.high[word & 3u];
  if (word < 4u) {
    packed = c.low[word];
  }
  return (packed >> ((digit & 1u) * 16u)) & 0xffffu;
}

fn oneOf(digit: u32) -> Counters {
  var c = Counters(vec4u(0u), vec4u(0u));
  let word = digit >> 1u;
  let bit = 1u << ((digit & 1u) * 16u);
  if (word < 4u) {
    c.low[word] = bit;
  } else {
    c.high[word - 4u] = bit;
  }
  return c;
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
  let first = block * ITEMS_PER_BLOCK + lid * 4u;

  // Own keys: digits and rank among this invocation's earlier keys of the same digit.
  var digits = vec4u(0u);
  var ranks = vec4u(0u);
  var mine = Counters(vec4u(0u), vec4u(0u));
  for (var k = 0u; k < 4u; k++) {
    if (first + k < n) {
      let d = digitOf(keysIn[first + k]);
      digits[k] = d;
      ranks[k] = counterOf(mine, d);
      mine = addCounters(mine, oneOf(d));
    }
  }
  if (lid < DIGITS && block < blocks) {
    digitBase[lid] = hist[lid * blocks + block];
  }

  // Raking exclusive scan of the packed counters over the workgroup.
  counterScratch[lid] = mine;
  workgroupBarrier();
  if (lid < RAKES) {
    var sum = Counters(vec4u(0u), vec4u(0u));
    for (var i = lid * RAKE_LENGTH; i < (lid + 1u) * RAKE_LENGTH; i++) {
      let v = counterScratch[i];
      counterScratch[i] = sum;
      sum = addCounters(sum, v);
    }
    rakeSums[lid] = sum;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var sum = Counters(vec4u(0u), vec4u(0u));
    for (var r = 0u; r < RAKES; r++) {
      let v = rakeSums[r];
      rakeSums[r] = sum;
      sum = addCounters(sum, v);
    }
  }
  workgroupBarrier();
  let before = addCounters(counterScratch[lid], rakeSums[lid / RAKE_LENGTH]);

  for (var k = 0u; k < 4u; k++) {
    let i = first + k;
    if (i < n) {
      let d = digits[k];
      let destination = digitBase[d] + counterOf(before, d) + ranks[k];
      keysOut[destination] = keysIn[i];
      valuesOut[destination] = valuesIn[i];
    }
  }
}
`;
