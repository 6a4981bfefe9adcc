/**
 * One workgroup per 16×16 tile, one invocation per pixel: gsplat's RasterizeToPixels3DGSFwd.cu.
 * The tile's depth-ordered Gaussians are loaded into workgroup memory 256 at a time and blended
 * front to back: alpha = min(0.999, opacity · exp(-power)), skipped when power < 0 or alpha < 1/255;
 * a pixel stops before the Gaussian that would take its transmittance to ≤ 1e-4; the background is
 * added with the remaining transmittance. Output, per pixel:
 *   mode 0: planar f32 (3, H, W) as upstream's `rgb * 2 - 1` clamped to [-1, 1]
 *   mode 1: RGBA8 (alpha 255) of the [0, 1] colour, for previews and videos
 */
import { COMMON_WGSL } from './common.wgsl';
import { RASTER_ALPHA_THRESHOLD, RASTER_MAX_ALPHA, RASTER_TILE_SIZE, RASTER_TRANSMITTANCE_STOP } from '../rasterizerConstants';

export const OUTPUT_MODE_PLANAR_SIGNED = 0;
export const OUTPUT_MODE_RGBA8 = 1;

export const RASTERIZE_TILES_WGSL = /* wgsl */ `
${COMMON_WGSL}

const TILE_SIZE: u32 = ${RASTER_TILE_SIZE}u;
const ALPHA_THRESHOLD: f32 = ${RASTER_ALPHA_THRESHOLD};
const MAX_ALPHA: f32 = ${RASTER_MAX_ALPHA};
const TRANSMITTANCE_STOP: f32 = ${RASTER_TRANSMITTANCE_STOP};

struct RasterParams {
  width: u32,
  height: u32,
  tilesX: u32,
  bandRow0: u32,
  outputBase: u32,   // first u32 of this view in the output buffer
  outputMode: u32,
  _pad0: u32,
  _pad1: u32,
  background: vec4f,
}

@group(0) @binding(0) var<uniform> raster: RasterParams;
@group(0) @binding(1) var<storage, read> tileRanges: array<vec2u>;
@group(0) @binding(2) var<storage, read> tileValues: array<u32>;
@group(0) @binding(3) var<storage, read> projMeanConic: array<vec4f>;
@group(0) @binding(4) var<storage, read> projConicOpacityDepth: array<vec4f>;
@group(0) @binding(5) var<storage, read> projColor: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> output: array<u32>;

var<workgroup> batchMeanConic: array<vec4f, THREADS>;   // x, y, conic.xx, conic.xy
var<workgroup> batchConicOpacity: array<vec2f, THREADS>; // conic.yy, opacity
var<workgroup> batchColor: array<vec4f, THREADS>;
var<workgroup> tileRange: vec2u;
var<workgroup> doneCount: atomic<u32>;
var<workgroup> doneSnapshot: u32;

@compute @workgroup_size(TILE_SIZE, TILE_SIZE)
fn rasterizeTiles(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) local: vec3u,
                  @builtin(local_invocation_index) lid: u32) {
  let tileX = wid.x;
  let tileY = raster.bandRow0 + wid.y;
  let px = tileX * TILE_SIZE + local.x;
  let py = tileY * TILE_SIZE + local.y;
  let inside = px < raster.width && py < raster.height;
  let pixel = vec2f(f32(px) + 0.5, f32(py) + 0.5);

  if (lid == 0u) {
    tileRange = tileRanges[tileY * raster.tilesX + tileX];
    atomicStore(&doneCount, 0u);
  }
  let range = workgroupUniformLoad(&tileRange);
  var done = !inside;
  if (done) {
    atomicAdd(&doneCount, 1u);
  }
  var transmittance = 1.0;
  var color = vec3f(0.0);
  let batches = (range.y - range.x + THREADS - 1u) / THREADS;
  for (var b = 0u; b < batches; b++) {
    workgroupBarrier();
    if (lid == 0u) {
      doneSnapshot = atomicLoad(&doneCount);
    }
    if (workgroupUniformLoad(&doneSnapshot) >= THREADS) {
      break;
    }
    let batchStart = range.x + b * THREADS;
    let index = batchStart + lid;
    if (index < range.y) {
      let g = tileValues[index];
      batchMeanConic[lid] = projMeanConic[g];
      batchConicOpacity[lid] = projConicOpacityDepth[g].xy;
      batchColor[lid] = projColor[g];
    }
    workgroupBarrier();
    let batchSize = min(THREADS, range.y - batchStart);
    for (var t = 0u; t < batchSize && !done; t++) {
      let meanConic = batchMeanConic[t];
      let conicOpacity = batchConicOpacity[t];
      let delta = meanConic.xy - pixel;
      let power = 0.5 * (meanConic.z * delta.x * delta.x + conicOpacity.x * delta.y * delta.y) +
                  meanConic.w * delta.x * delta.y;
      let alpha = min(MAX_ALPHA, conicOpacity.y * exp(-power));
      if (power < 0.0 || alpha < ALPHA_THRESHOLD) {
        continue;
      }
      let nextTransmittance = transmittance * (1.0 - alpha);
      if (nextTransmittance <= TRANSMITTANCE_STOP) {
        done = true;
        atomicAdd(&doneCount, 1u);
        break;
      }
      color += batchColor[t].xyz * (alpha * transmittance);
      transmittance = nextTransmittance;
    }
  }

  if (!inside) {
    return;
  }
  let finalColor = color + transmittance * raster.background.xyz;
  let pixelIndex = py * raster.width + px;
  if (raster.outputMode == ${OUTPUT_MODE_RGBA8}u) {
    let c = vec4f(clamp(finalColor, vec3f(0.0), vec3f(1.0)), 1.0);
    output[raster.outputBase + pixelIndex] = pack4x8unorm(c);
  } else {
    let plane = raster.width * raster.height;
    let signed = clamp(finalColor * 2.0 - 1.0, vec3f(-1.0), vec3f(1.0));
    output[raster.outputBase + pixelIndex] = bitcast<u32>(signed.x);
    output[raster.outputBase + plane + pixelIndex] = bitcast<u32>(signed.y);
    output[raster.outputBase + 2u * plane + pixelIndex] = bitcast<u32>(signed.z);
  }
}
`;
