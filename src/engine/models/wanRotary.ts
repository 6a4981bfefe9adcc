/**
 * Wan's 3-axis rotary position embedding (upstream models/transformer_wan.py `WanRotaryPosEmbed`
 * and the `apply_rotary_emb` inside its `WanAttnProcessor2_0`).
 *
 * The cos/sin tables are computed here in JS, per latent grid, and fed to the graph as inputs:
 * one graph then serves every resolution and frame count, and the tables cost a few MB
 * (7920 tokens × 128 × 2 × 4 bytes) instead of a 1024-position table per axis inside the graph.
 */
import { StudioError } from '../../shared/errors';
import type { GraphBuilder, Value } from '../onnx/graph';
import { MS_DOMAIN } from '../onnx/graph';
import { castIfNeeded, concat, mul, reshape, slice, split, sub, add } from '../onnx/ops';
import type { WanTransformerConfig } from './wanTransformerConfig';
import { WAN_ROPE_THETA } from './wanTransformerConstants';

export type WanRopeConfig = Pick<WanTransformerConfig, 'headDim' | 'patchSize' | 'ropeMaxSeqLen'>;

/** The latent grid the transformer sees: hidden_states' (T, H, W), before patching. */
export interface LatentGrid {
  frames: number;
  height: number;
  width: number;
}

export interface WanRopeTables {
  /** (tokens, headDim) row-major, token order = frame-major, then row, then column (upstream's flatten). */
  cos: Float32Array;
  sin: Float32Array;
  tokens: number;
  headDim: number;
}

/**
 * Frequency of every column of upstream's concatenated table: `get_1d_rotary_pos_embed(dim, ...,
 * use_real=True, repeat_interleave_real=True, freqs_dtype=float64)` for dim = t_dim, h_dim, w_dim in
 * turn (h_dim = w_dim = 2·⌊D/6⌋, t_dim the rest), each frequency repeated for the two columns of a pair.
 */
function columnFrequencies(headDim: number): Float64Array {
  const hw = 2 * Math.floor(headDim / 6);
  const parts = [headDim - 2 * hw, hw, hw];
  const out = new Float64Array(headDim);
  let col = 0;
  for (const dim of parts) {
    for (let i = 0; i < dim; i++) {
      const pair = Math.floor(i / 2);
      // torch: 1.0 / (theta ** (arange(0, dim, 2, float64) / dim)), all in float64
      out[col++] = 1 / Math.pow(WAN_ROPE_THETA, (2 * pair) / dim);
    }
  }
  return out;
}

/**
 * Which position axis indexes each column: upstream's forward splits the concatenated table into
 * [D − 2·⌊D/3⌋, ⌊D/3⌋, ⌊D/3⌋] columns for frame, row and column positions. That is the t/h/w
 * cut of the tables (128 → 44/42/42) unless D ≡ 4 (mod 6); we follow upstream either way.
 */
function columnAxes(headDim: number): Uint8Array {
  const third = Math.floor(headDim / 3);
  const frameCols = headDim - 2 * third;
  const axes = new Uint8Array(headDim);
  for (let c = 0; c < headDim; c++) axes[c] = c < frameCols ? 0 : c < frameCols + third ? 1 : 2;
  return axes;
}

/** Post-patch grid (frames, rows, columns); throws when a side does not divide by the patch. */
export function patchGrid(config: Pick<WanTransformerConfig, 'patchSize'>, grid: LatentGrid): [number, number, number] {
  const sides = [grid.frames, grid.height, grid.width];
  return sides.map((side, i) => {
    const p = config.patchSize[i];
    if (!Number.isInteger(side) || side < 1 || side % p !== 0) {
      throw new StudioError(
        'INVALID_REQUEST',
        `The latent grid ${grid.frames}×${grid.height}×${grid.width} does not divide into ${config.patchSize.join('×')} patches. ` +
          'Choose a resolution whose height and width are multiples of 32 pixels.',
      );
    }
    return side / p;
  }) as [number, number, number];
}

/** cos/sin tables for the `rope_cos` / `rope_sin` graph inputs, exactly as upstream computes them. */
export function wanRopeTables(config: WanRopeConfig, grid: LatentGrid): WanRopeTables {
  const [ppf, pph, ppw] = patchGrid(config, grid);
  const longest = Math.max(ppf, pph, ppw);
  if (longest > config.ropeMaxSeqLen) {
    throw new StudioError(
      'INVALID_REQUEST',
      `The latent grid ${grid.frames}×${grid.height}×${grid.width} has ${longest} positions along one axis; the transformer's rotary table holds ${config.ropeMaxSeqLen}. Lower the resolution or the frame count.`,
    );
  }
  const D = config.headDim;
  const freqs = columnFrequencies(D);
  const axes = columnAxes(D);
  const tokens = ppf * pph * ppw;
  const cos = new Float32Array(tokens * D);
  const sin = new Float32Array(tokens * D);
  const pos = [0, 0, 0];
  let o = 0;
  for (pos[0] = 0; pos[0] < ppf; pos[0]++)
    for (pos[1] = 0; pos[1] < pph; pos[1]++)
      for (pos[2] = 0; pos[2] < ppw; pos[2]++)
        for (let c = 0; c < D; c++, o++) {
          // float64 angle (torch.outer of int positions with float64 freqs), cast to float32 at the end
          const angle = pos[axes[c]] * freqs[c];
          cos[o] = Math.cos(angle);
          sin[o] = Math.sin(angle);
        }
  return { cos, sin, tokens, headDim: D };
}

/** The half tables the rotation uses, prepared once per graph from the (tokens, headDim) inputs. */
export interface RotaryHalfTables {
  /** cos[:, 0::2] and sin[:, 1::2] as upstream's apply_rotary_emb takes them: (tokens, headDim/2). */
  cos: Value;
  sin: Value;
  impl: 'contrib' | 'plain';
  /** int64 [0]: RotaryEmbedding's position offset (token i uses row i). */
  positionOffset: Value | null;
}

export function prepareRotaryTables(
  g: GraphBuilder,
  ropeCos: Value,
  ropeSin: Value,
  headDim: number,
  type: 'float32' | 'float16',
  impl: 'contrib' | 'plain',
): RotaryHalfTables {
  const cos = castIfNeeded(g, slice(g, ropeCos, [0], [headDim], [1], [2]), type);
  const sin = castIfNeeded(g, slice(g, ropeSin, [1], [headDim], [1], [2]), type);
  if (impl === 'contrib') return { cos, sin, impl, positionOffset: g.constInt64([0], [1]) };
  // (tokens, 1, D/2, 1): broadcasts over batch, heads and the pair axis of (B, S, N, D/2, 1)
  return { cos: reshape(g, cos, [0, 1, -1, 1]), sin: reshape(g, sin, [0, 1, -1, 1]), impl, positionOffset: null };
}

/**
 * Rotates interleaved pairs (x[2i], x[2i+1]) of every head of x (B, S, N·D):
 * out[2i] = x[2i]·cos − x[2i+1]·sin, out[2i+1] = x[2i]·sin + x[2i+1]·cos.
 */
export function applyRotary(g: GraphBuilder, x: Value, tables: RotaryHalfTables, numHeads: number, headDim: number): Value {
  if (tables.impl === 'contrib') {
    // com.microsoft RotaryEmbedding with interleaved=1 is this exact rotation (checked against the plain path in tests)
    return g.op('RotaryEmbedding', [x, tables.positionOffset, tables.cos, tables.sin], { interleaved: 1, num_heads: numHeads }, { domain: MS_DOMAIN });
  }
  const pairs = reshape(g, x, [0, 0, numHeads, headDim / 2, 2]);
  const [x1, x2] = split(g, pairs, [1, 1], -1);
  const even = sub(g, mul(g, x1, tables.cos), mul(g, x2, tables.sin));
  const odd = add(g, mul(g, x1, tables.sin), mul(g, x2, tables.cos));
  return reshape(g, concat(g, [even, odd], -1), [0, 0, numHeads * headDim]);
}
