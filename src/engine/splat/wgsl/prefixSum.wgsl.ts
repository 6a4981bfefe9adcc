/**
 * Exclusive prefix sum of u32 in place, for lengths known only on the GPU. One level scans blocks
 * of ITEMS_PER_BLOCK and writes each block's total; the TS side chains levels (scan every level
 * upward, then add the scanned block totals back downward). Used for the visible-Gaussian
 * compaction, the tile-intersection offsets and the radix-sort digit histograms.
 *
 * The length of level L is ceil(n / 1024^L) with n = ceil(min(counters[countSlot], capacity) /
 * countDivisor) * countMultiplier (the radix histogram has 16 digits × ceil(keys / 1024) blocks).
 */
import { COMMON_WGSL, WORKGROUP_SCAN_WGSL } from './common.wgsl';

export const PREFIX_SUM_WGSL = /* wgsl */ `
${COMMON_WGSL}
${WORKGROUP_SCAN_WGSL}

struct ScanParams {
  countSlot: u32,
  capacity: u32,
  countDivisor: u32,
  countMultiplier: u32,
  levelShift: u32,   // 10 × level
  totalSlot: u32,    // where the grand total goes
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: ScanParams;
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> blockSums: array<u32>;
@group(0) @binding(3) var<storage, read_write> counters: array<u32>;

fn levelLength() -> u32 {
  let base = min(counters[params.countSlot], params.capacity);
  let n = ((base + params.countDivisor - 1u) / params.countDivisor) * params.countMultiplier;
  let unit = 1u << params.levelShift;
  return (n + unit - 1u) >> params.levelShift;
}

@compute @workgroup_size(THREADS)
fn scanBlocks(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let n = levelLength();
  let block = flatWorkgroup(wid, nwg);
  let first = block * ITEMS_PER_BLOCK + lid * 4u;
  var values = vec4u(0u);
  for (var k = 0u; k < 4u; k++) {
    if (first + k < n) {
      values[k] = data[first + k];
    }
  }
  let mine = values.x + values.y + values.z + values.w;
  let scanned = workgroupExclusiveScan(lid, mine);
  var running = scanned.x;
  for (var k = 0u; k < 4u; k++) {
    if (first + k < n) {
      data[first + k] = running;
    }
    running += values[k];
  }
  let blocks = (n + ITEMS_PER_BLOCK - 1u) / ITEMS_PER_BLOCK;
  if (lid == 0u) {
    if (block < blocks) {
      blockSums[block] = scanned.y;
    }
    // A level with one block (or none) holds the grand total; every such level agrees.
    if (block == 0u && blocks <= 1u) {
      counters[params.totalSlot] = scanned.y;
    }
  }
}

@compute @workgroup_size(THREADS)
fn addBlockSums(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let n = levelLength();
  let block = flatWorkgroup(wid, nwg);
  let first = block * ITEMS_PER_BLOCK + lid * 4u;
  if (first >= n) {
    return;
  }
  let add = blockSums[block];
  for (var k = 0u; k < 4u; k++) {
    if (first + k < n) {
      data[first + k] += add;
    }
  }
}
`;
