/**
 * WGSL shared by the rasterizer's kernels: workgroup indexing past the 65 535-per-dimension
 * dispatch limit, the counters every stage reads its dynamic lengths from, and a 256-wide
 * workgroup prefix sum. Lengths live on the GPU (no read-back between stages), so kernels are
 * dispatched for a capacity and read the real count from `counters`.
 */

/** Slots of the `counters` storage buffer (u32). */
export const COUNTER_GAUSSIANS = 0;
export const COUNTER_VISIBLE = 1;
export const COUNTER_INTERSECTIONS = 2;
export const COUNTER_SLOTS = 4;

/** Invocations per workgroup of every 1-D kernel. */
export const THREADS = 256;
/** Elements one prefix-sum or radix workgroup handles (4 per invocation). */
export const ITEMS_PER_BLOCK = 1024;

export const COMMON_WGSL = /* wgsl */ `
const THREADS: u32 = ${THREADS}u;
const ITEMS_PER_BLOCK: u32 = ${ITEMS_PER_BLOCK}u;
const COUNTER_GAUSSIANS: u32 = ${COUNTER_GAUSSIANS}u;
const COUNTER_VISIBLE: u32 = ${COUNTER_VISIBLE}u;
const COUNTER_INTERSECTIONS: u32 = ${COUNTER_INTERSECTIONS}u;

// Large dispatches are split over x and y (see dispatch1d in the TS side).
fn flatWorkgroup(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}
`;

/**
 * Needs COMMON_WGSL. Call from uniform control flow only (it has barriers). A raking scan: 16
 * invocations each sum 16 consecutive values serially, one scans those 16 sums; 4 barriers
 * instead of the 16 of a tree scan, which matters on CPU adapters and costs nothing on GPUs.
 */
export const WORKGROUP_SCAN_WGSL = /* wgsl */ `
const RAKES: u32 = 16u;
const RAKE_LENGTH: u32 = THREADS / RAKES;
var<workgroup> scanScratch: array<u32, THREADS>;
var<workgroup> rakeSums: array<u32, RAKES>;
var<workgroup> scanTotal: u32;

// Exclusive prefix of 'value' over the workgroup's invocations (by local index) and the total.
fn workgroupExclusiveScan(lid: u32, value: u32) -> vec2u {
  scanScratch[lid] = value;
  workgroupBarrier();
  if (lid < RAKES) {
    var sum = 0u;
    for (var i = lid * RAKE_LENGTH; i < (lid + 1u) * RAKE_LENGTH; i++) {
      let v = scanScratch[i];
      scanScratch[i] = sum;
      sum += v;
    }
    rakeSums[lid] = sum;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var sum = 0u;
    for (var r = 0u; r < RAKES; r++) {
      let v = rakeSums[r];
      rakeSums[r] = sum;
      sum += v;
    }
    scanTotal = sum;
  }
  workgroupBarrier();
  let result = vec2u(scanScratch[lid] + rakeSums[lid / RAKE_LENGTH], scanTotal);
  workgroupBarrier();
  return result;
}
`;
