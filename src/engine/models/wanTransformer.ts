/**
 * FlashWorld's Wan transformer as an ONNX graph (upstream models/transformer_wan.py
 * `WanTransformer3DModel.forward`, with the patch embedding and proj_out widened as upstream app.py
 * `GenerationSystem` does). One graph serves any batch, frame count and resolution: the rotary
 * tables come in as inputs (see wanRotary.ts), every other shape is read at run time.
 *
 * Inputs:  hidden_states (B, C_in, T, H, W)  [noisy 48 | raymaps 6 | condition 48 | features 1024 | previous 48]
 *          timestep (B,) fp32, encoder_hidden_states (B, L, text_dim), rope_cos / rope_sin (tokens, head_dim) fp32
 * Output:  output (B, latent + feat, T, H, W)  [velocity | features]
 */
import { StudioError } from '../../shared/errors';
import { cacheKey, type GraphCacheEvent } from '../onnx/cache';
import { getCachedGraph } from '../onnx/cachedGraph';
import { GraphBuilder, type Value } from '../onnx/graph';
import { floatTensor, hostTensor, type HostTensor } from '../onnx/session';
import { add, cast, castIfNeeded, concat, gather, reshape, silu, split, transpose, unsqueeze } from '../onnx/ops';
import type { FloatTensor, WeightSource } from '../weights/types';
import { patchGrid, prepareRotaryTables, wanRopeTables, type LatentGrid, type WanRopeTables } from './wanRotary';
import {
  buildWanBlock,
  fp32Param,
  geluMlp,
  linearLayer,
  modulate,
  plainLayerNorm,
  type WanAttentionImpl,
} from './wanTransformerBlock';
import type { WanTransformerConfig } from './wanTransformerConfig';
import {
  WAN_TIMESTEP_DOWNSCALE_FREQ_SHIFT,
  WAN_TIMESTEP_FLIP_SIN_TO_COS,
  WAN_TIMESTEP_MAX_PERIOD,
} from './wanTransformerConstants';

export type { WanAttentionImpl } from './wanTransformerBlock';
export { readWanTransformerConfig, type WanTransformerConfig } from './wanTransformerConfig';
export { wanRopeTables, type LatentGrid, type WanRopeTables } from './wanRotary';

/** Stable graph input/output names. */
export const WAN_TRANSFORMER_IO = {
  hiddenStates: 'hidden_states',
  timestep: 'timestep',
  encoderHiddenStates: 'encoder_hidden_states',
  ropeCos: 'rope_cos',
  ropeSin: 'rope_sin',
  output: 'output',
} as const;

/** Bump when the graph this file emits changes, so cached graphs are rebuilt. */
export const WAN_TRANSFORMER_BUILDER_VERSION = 2;

export interface WanTransformerBuildOptions {
  /** 'contrib' (default): com.microsoft MultiHeadAttention / RotaryEmbedding / FastGelu; 'plain': standard ONNX only. */
  attention?: WanAttentionImpl;
  /**
   * Element type of hidden_states, encoder_hidden_states and the output (default fp32). fp16 halves
   * the host↔GPU bytes of the two big tensors (≈140 MB each way at 24×480×704).
   */
  ioType?: 'float32' | 'float16';
}

/**
 * Sinusoid frequencies of diffusers `get_timestep_embedding` in its float32 arithmetic:
 * exp(−ln(max_period) · i / (half − shift)), each step rounded to float32 as torch does.
 */
export function timestepFrequencies(freqDim: number): Float32Array {
  const half = Math.floor(freqDim / 2);
  const out = new Float32Array(half);
  const logPeriod = Math.fround(-Math.log(WAN_TIMESTEP_MAX_PERIOD));
  const denom = Math.fround(half - WAN_TIMESTEP_DOWNSCALE_FREQ_SHIFT);
  for (let i = 0; i < half; i++) out[i] = Math.exp(Math.fround(Math.fround(logPeriod * i) / denom));
  return out;
}

/** (B,) fp32 timesteps → (B, freqDim) sinusoidal embedding, cos first (flip_sin_to_cos). */
function timestepSinusoids(g: GraphBuilder, t: Value, freqDim: number): Value {
  if (freqDim % 2 !== 0) {
    throw new StudioError('WEIGHTS_UNSUPPORTED', `The transformer's freq_dim ${freqDim} is odd; Wan models use an even size (256).`);
  }
  const freqs = timestepFrequencies(freqDim);
  const args = g.op('Mul', [unsqueeze(g, t, [1]), g.constFloat(freqs, [1, freqs.length], 'float32')]);
  const sin = g.op('Sin', [args]);
  const cos = g.op('Cos', [args]);
  return concat(g, WAN_TIMESTEP_FLIP_SIN_TO_COS ? [cos, sin] : [sin, cos], 1);
}

/** Post-patch size of a run-time dim: dim / p, or dim itself for a patch side of 1. */
function divided(g: GraphBuilder, dim: Value, p: number): Value {
  return p === 1 ? dim : g.op('Div', [dim, g.constInt64([p])]);
}

/**
 * Patch embedding (Conv3d with kernel = stride) as a reshape to (B, S, C·pt·ph·pw) and one MatMul.
 * Patch sides of 1 get no axis of their own, so the transposes stay at rank ≤ 7.
 */
function patchEmbed(g: GraphBuilder, weights: WeightSource, x: Value, dims: Value[], config: WanTransformerConfig): Value {
  const [B, , T, H, W] = dims;
  const parts: Value[] = [B, g.constInt64([config.inChannels])];
  const gridAxes: number[] = [];
  const patchAxes: number[] = [];
  [T, H, W].forEach((dim, i) => {
    const p = config.patchSize[i];
    gridAxes.push(parts.length);
    parts.push(divided(g, dim, p));
    if (p > 1) {
      patchAxes.push(parts.length);
      parts.push(g.constInt64([p]));
    }
  });
  const k = config.inChannels * config.patchSize[0] * config.patchSize[1] * config.patchSize[2];
  // (B, C, T', [pt], H', [ph], W', [pw]) → (B, T', H', W', C, [pt, ph, pw]): tokens in upstream's flatten(2) order
  const moved = transpose(g, reshape(g, x, concat(g, parts, 0)), [0, ...gridAxes, 1, ...patchAxes]);
  const tokens = reshape(g, moved, [0, -1, k]);
  const w = weights.read('patch_embedding.weight', g.floatType);
  // the conv kernel (dim, C, pt, ph, pw) flattened to (dim, C·pt·ph·pw) matches the token layout above
  const kernel = { dtype: w.dtype, shape: [config.dim, k], data: w.data } as FloatTensor;
  return linearLayer(g, weights, 'patch_embedding', tokens, undefined, kernel);
}

/** (B, S, pt·ph·pw·C_out) → (B, C_out, T, H, W), as upstream's reshape + permute(0, 7, 1, 4, 2, 5, 3, 6). */
function unpatchify(g: GraphBuilder, y: Value, dims: Value[], config: WanTransformerConfig): Value {
  const [B, , T, H, W] = dims;
  const sides = config.patchSize.filter((p) => p > 1);
  const parts = [B, ...[T, H, W].map((d, i) => divided(g, d, config.patchSize[i])), g.constInt64([...sides, config.outChannels])];
  // axes of the reshaped tensor: 0 = B, 1..3 = T', H', W', then one per patch side > 1, then C
  const channelAxis = 4 + sides.length;
  const perm = [0, channelAxis];
  let next = 4;
  config.patchSize.forEach((p, i) => {
    perm.push(1 + i);
    if (p > 1) perm.push(next++);
  });
  const moved = transpose(g, reshape(g, y, concat(g, parts, 0)), perm);
  return reshape(g, moved, concat(g, [B, g.constInt64([config.outChannels]), T, H, W], 0));
}

/** Declares the inputs and the output of the transformer graph and fills in the network. */
export function buildWanTransformer(
  g: GraphBuilder,
  weights: WeightSource,
  config: WanTransformerConfig,
  options: WanTransformerBuildOptions = {},
): void {
  const impl = options.attention ?? 'contrib';
  const io = options.ioType ?? 'float32';
  const F = g.floatType;
  const names = WAN_TRANSFORMER_IO;
  const hidden = g.input(names.hiddenStates, io, ['batch', config.inChannels, 'frames', 'height', 'width']);
  const timestep = g.input(names.timestep, 'float32', ['batch']);
  const text = g.input(names.encoderHiddenStates, io, ['batch', 'text_tokens', config.textDim]);
  const ropeCos = g.input(names.ropeCos, 'float32', ['tokens', config.headDim]);
  const ropeSin = g.input(names.ropeSin, 'float32', ['tokens', config.headDim]);

  const shape = g.op('Shape', [hidden]);
  const dims = [0, 1, 2, 3, 4].map((i) => gather(g, shape, [i]));

  // 1. patches → fp32 residual stream (B, S, dim)
  let x = castIfNeeded(g, patchEmbed(g, weights, castIfNeeded(g, hidden, F), dims, config), 'float32');

  // 2. conditions: time embedding in fp32 (upstream keeps time_embedder in fp32; the 6·dim projection is
  //    tiny work at B rows), text projection in the graph type
  const sinusoids = timestepSinusoids(g, timestep, config.freqDim);
  const te = 'condition_embedder.time_embedder';
  const temb = linearLayer(g, weights, `${te}.linear_2`, silu(g, linearLayer(g, weights, `${te}.linear_1`, sinusoids, 'float32')), 'float32');
  const timestepProj = reshape(g, linearLayer(g, weights, 'condition_embedder.time_proj', silu(g, temb), 'float32'), [0, 6, config.dim]);
  const tx = 'condition_embedder.text_embedder';
  const context = geluMlp(g, weights, `${tx}.linear_1`, `${tx}.linear_2`, castIfNeeded(g, text, F), impl);
  const rotary = prepareRotaryTables(g, ropeCos, ropeSin, config.headDim, F, impl);

  // 3. blocks
  for (let i = 0; i < config.numLayers; i++) x = buildWanBlock(g, weights, i, { x, context, timestepProj, rotary }, config, impl);

  // 4. output norm modulated by the top-level table + temb (not time_proj), projection, unpatchify
  const [shift, scale] = split(g, add(g, fp32Param(g, weights, 'scale_shift_table'), unsqueeze(g, temb, [1])), [1, 1], 1);
  const projected = linearLayer(g, weights, 'proj_out', modulate(g, plainLayerNorm(g, x, config), shift, scale));
  const out = unpatchify(g, projected, dims, config);
  g.output(io === F ? out : cast(g, out, io), names.output, io, ['batch', config.outChannels, 'frames', 'height', 'width']);
}

export interface WanTransformerGraphOptions extends WanTransformerBuildOptions {
  cacheDir: string;
  /** The `transformer.` part of model.ckpt: `openTorchCheckpoint(path).source('transformer.')`. */
  weights: WeightSource;
  /** Identity of the weight file for the cache key: `fileFingerprint(ckptPath)` from onnx/cache. */
  weightsId: string;
  config: WanTransformerConfig;
  floatType: 'float32' | 'float16';
  onEvent?: (event: GraphCacheEvent) => void;
}

export function wanTransformerGraphKey(opts: Omit<WanTransformerGraphOptions, 'cacheDir' | 'weights' | 'onEvent'>): string {
  return `wan-transformer-${opts.floatType}-${cacheKey({
    builder: WAN_TRANSFORMER_BUILDER_VERSION,
    weights: opts.weightsId,
    config: opts.config,
    floatType: opts.floatType,
    attention: opts.attention ?? 'contrib',
    ioType: opts.ioType ?? 'float32',
  })}`;
}

/** Path of the cached transformer .onnx, built first (weights streamed to external data) when absent. */
export function getWanTransformerGraph(opts: WanTransformerGraphOptions): Promise<string> {
  return getCachedGraph({
    cacheDir: opts.cacheDir,
    key: wanTransformerGraphKey(opts),
    name: 'wan_transformer',
    floatType: opts.floatType,
    onEvent: opts.onEvent,
    emit: (g) => buildWanTransformer(g, opts.weights, opts.config, { attention: opts.attention, ioType: opts.ioType }),
  });
}

export interface WanTransformerFeedsInput {
  config: WanTransformerConfig;
  /** hidden_states' (T, H, W); B comes from timestep.length. */
  grid: LatentGrid;
  /** (B, C_in, T, H, W) fp32 values, or fp16 bits already in an fp16 graph's input type. */
  hiddenStates: Float32Array | Uint16Array;
  /** (B,) scheduler timesteps. */
  timestep: Float32Array;
  /** (B, L, text_dim) fp32 values (upstream encode_text output, L = 512), or fp16 bits likewise. */
  encoderHiddenStates: Float32Array | Uint16Array;
  ioType?: 'float32' | 'float16';
  /** Tables from an earlier call for the same grid (they depend on nothing else). */
  rope?: WanRopeTables;
}

/** The five named inputs of the graph, with shapes checked against the config. */
export function wanTransformerFeeds(input: WanTransformerFeedsInput): Record<string, HostTensor> {
  const { config, grid } = input;
  const io = input.ioType ?? 'float32';
  const batch = input.timestep.length;
  const perSample = config.inChannels * grid.frames * grid.height * grid.width;
  const textRows = input.encoderHiddenStates.length / (batch * config.textDim);
  if (batch < 1 || input.hiddenStates.length !== batch * perSample || !Number.isInteger(textRows) || textRows < 1) {
    throw new StudioError(
      'INTERNAL',
      `Transformer inputs do not fit together: ${batch} timestep(s), ${input.hiddenStates.length} hidden values (expected ${batch}×${config.inChannels}×${grid.frames}×${grid.height}×${grid.width}), ${input.encoderHiddenStates.length} text values (expected a multiple of ${batch}×${config.textDim}).`,
    );
  }
  const rope = input.rope ?? wanRopeTables(config, grid);
  const tokens = patchGrid(config, grid).reduce((a, b) => a * b, 1);
  if (rope.tokens !== tokens || rope.headDim !== config.headDim) {
    throw new StudioError('INTERNAL', `The rotary tables are for ${rope.tokens} tokens × ${rope.headDim}, but the grid has ${tokens} tokens × ${config.headDim}.`);
  }
  const n = WAN_TRANSFORMER_IO;
  const ioTensor = (shape: number[], x: Float32Array | Uint16Array): HostTensor => {
    if (!(x instanceof Uint16Array)) return floatTensor(io, shape, x);
    if (io !== 'float16') throw new StudioError('INTERNAL', 'fp16 transformer inputs were given to a graph whose inputs are float32.');
    return hostTensor('float16', shape, x);
  };
  return {
    [n.hiddenStates]: ioTensor([batch, config.inChannels, grid.frames, grid.height, grid.width], input.hiddenStates),
    [n.timestep]: floatTensor('float32', [batch], input.timestep),
    [n.encoderHiddenStates]: ioTensor([batch, textRows, config.textDim], input.encoderHiddenStates),
    [n.ropeCos]: floatTensor('float32', [rope.tokens, rope.headDim], rope.cos),
    [n.ropeSin]: floatTensor('float32', [rope.tokens, rope.headDim], rope.sin),
  };
}
