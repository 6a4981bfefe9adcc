/**
 * From projected Gaussians to per-tile lists, gsplat's IntersectTile.cu split into steps that keep
 * every length on the GPU:
 *   compactVisible  visible Gaussians (prefix sum of the 0/1 flags) → (depth bits, index) pairs;
 *                   depths are ≥ near > 0, so their f32 bits sort like the floats
 *   countTiles      per depth-sorted Gaussian, tiles its rectangle covers inside the band
 *   emitTileKeys    after a prefix sum of those counts: one (tile id, index) pair per covered tile
 *   clearRanges / markRanges  after the stable tile sort: [start, end) of each tile's run
 * A band is a range of tile rows; big scenes render a view band by band to bound memory.
 */
import { COMMON_WGSL } from './common.wgsl';

export const TILE_INTERSECTIONS_WGSL = /* wgsl */ `
${COMMON_WGSL}

struct BandParams {
  tilesX: u32,
  tilesY: u32,
  bandRow0: u32,        // first tile row of the band (inclusive)
  bandRow1: u32,        // last tile row of the band (exclusive)
  gaussianCount: u32,
  intersectionCapacity: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> band: BandParams;
@group(0) @binding(1) var<storage, read_write> counters: array<u32>;
@group(0) @binding(2) var<storage, read> visibleScan: array<u32>;
@group(0) @binding(3) var<storage, read> projConicOpacityDepth: array<vec4f>;
@group(0) @binding(4) var<storage, read> projTileRect: array<vec2u>;
@group(0) @binding(5) var<storage, read_write> depthKeys: array<u32>;
@group(0) @binding(6) var<storage, read_write> depthValues: array<u32>;   // depth-sorted Gaussian ids
@group(0) @binding(7) var<storage, read_write> tileCounts: array<u32>;    // then their offsets
@group(0) @binding(8) var<storage, read_write> tileKeys: array<u32>;
@group(0) @binding(9) var<storage, read_write> tileValues: array<u32>;
@group(0) @binding(10) var<storage, read_write> tileRanges: array<vec2u>;

fn flatIndex(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return flatWorkgroup(wid, nwg) * THREADS + lid;
}

@compute @workgroup_size(THREADS)
fn compactVisible(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                  @builtin(local_invocation_index) lid: u32) {
  let g = flatIndex(wid, nwg, lid);
  if (g >= band.gaussianCount) {
    return;
  }
  let slot = visibleScan[g];
  var next = counters[COUNTER_VISIBLE];
  if (g + 1u < band.gaussianCount) {
    next = visibleScan[g + 1u];
  }
  if (next != slot) {
    depthKeys[slot] = bitcast<u32>(projConicOpacityDepth[g].z);
    depthValues[slot] = g;
  }
}

// Tile rectangle [x0, x1) × [y0, y1) clipped to the band rows.
fn bandRect(g: u32) -> vec4u {
  let packed = projTileRect[g];
  let x0 = packed.x & 0xffffu;
  let y0 = max(packed.x >> 16u, band.bandRow0);
  let x1 = packed.y & 0xffffu;
  let y1 = min(packed.y >> 16u, band.bandRow1);
  return vec4u(x0, y0, x1, max(y1, y0));
}

@compute @workgroup_size(THREADS)
fn countTiles(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid);
  if (i >= counters[COUNTER_VISIBLE]) {
    return;
  }
  let r = bandRect(depthValues[i]);
  tileCounts[i] = (r.z - r.x) * (r.w - r.y);
}

@compute @workgroup_size(THREADS)
fn emitTileKeys(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid);
  if (i >= counters[COUNTER_VISIBLE]) {
    return;
  }
  let g = depthValues[i];
  let r = bandRect(g);
  var slot = tileCounts[i];
  for (var y = r.y; y < r.w; y++) {
    for (var x = r.x; x < r.z; x++) {
      if (slot < band.intersectionCapacity) {
        tileKeys[slot] = y * band.tilesX + x;
        tileValues[slot] = g;
      }
      slot++;
    }
  }
}

@compute @workgroup_size(THREADS)
fn clearRanges(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let t = flatIndex(wid, nwg, lid);
  if (t < band.tilesX * band.tilesY) {
    tileRanges[t] = vec2u(0u, 0u);
  }
}

@compute @workgroup_size(THREADS)
fn markRanges(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid);
  let n = min(counters[COUNTER_INTERSECTIONS], band.intersectionCapacity);
  if (i >= n) {
    return;
  }
  let tile = tileKeys[i];
  if (i == 0u || tileKeys[i - 1u] != tile) {
    tileRanges[tile].x = i;
  }
  if (i + 1u == n || tileKeys[i + 1u] != tile) {
    tileRanges[tile].y = i + 1u;
  }
}
`;
