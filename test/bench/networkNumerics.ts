/**
 * Per-network numerics of the runtime's own graphs against upstream's PyTorch outputs saved by
 * tools/reference (make_network_fixtures.py layout: umt5 / vae_encoder / transformer /
 * recon_decoder .safetensors with *_fp32 and *_bf16 references). The same code reads the tiny
 * committed fixtures (test/fixtures/parity) and the full-size ones made on the GPU machine by
 * tools/reference/bench_upstream.py, so what CI checks small is what the benchmark checks big.
 */
import { join, resolve } from 'node:path';
import type { GraphNetwork } from '../../src/engine/model/buildGraphs';
import { RECON_DECODER_IO } from '../../src/engine/models/reconDecoder';
import { UMT5_INPUTS, UMT5_OUTPUTS } from '../../src/engine/models/umt5';
import { WAN_TRANSFORMER_IO, wanTransformerFeeds } from '../../src/engine/models/wanTransformer';
import { readWanTransformerConfig } from '../../src/engine/models/wanTransformerConfig';
import { WAN_VAE_ENCODER_IO, readWanVaeConfig, wanVaeLatentSize } from '../../src/engine/models/wanVaeEncoder';
import { createSession, floatTensor, hostTensor, toFloat32, type HostTensor } from '../../src/engine/onnx/session';
import type { ModelFiles } from '../../src/engine/model/modelFiles';
import { openTorchCheckpoint } from '../../src/engine/weights/torchCheckpoint';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures';
import { dirname } from 'node:path';

export interface NumericsRow {
  network: GraphNetwork;
  output: string;
  /** max |ours − ref| / max |ref| */
  maxErrOfScale: number;
  /** rms(ours − ref) / rms(ref) */
  rmsRel: number;
  /** the same two for upstream's bf16 run against its fp32 run: how far bf16 itself is */
  upstreamBf16: { maxErrOfScale: number; rmsRel: number } | null;
  vsBf16: { maxErrOfScale: number; rmsRel: number } | null;
  nonFinite: number;
  ms: number;
}

export function relativeError(actual: ArrayLike<number>, ref: ArrayLike<number>): { maxErrOfScale: number; rmsRel: number } {
  if (actual.length !== ref.length) throw new Error(`length ${actual.length} ≠ ${ref.length}`);
  let maxAbs = 0;
  let maxRef = 0;
  let se = 0;
  let sr = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = actual[i] - ref[i];
    const a = Math.abs(d);
    if (!(a <= maxAbs)) maxAbs = Number.isNaN(a) ? Infinity : a;
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    se += d * d;
    sr += ref[i] * ref[i];
  }
  return { maxErrOfScale: maxAbs / (maxRef || 1), rmsRel: Math.sqrt(se / (sr || 1)) };
}

function countNonFinite(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) n++;
  return n;
}

/** Opens a graph once; each `run` warms up (cuDNN algorithm search, arena growth) then times a second run. */
async function withSession<T>(
  modelPath: string,
  provider: 'cpu' | 'cuda',
  deviceId: number,
  body: (run: (feeds: Record<string, HostTensor>, output: string) => Promise<{ values: Float32Array; ms: number }>) => Promise<T>,
): Promise<T> {
  const session = await createSession(modelPath, { provider, deviceId });
  try {
    return await body(async (feeds, output) => {
      await session.run(feeds);
      const t0 = performance.now();
      const out = await session.run(feeds);
      return { values: toFloat32(out[output]), ms: performance.now() - t0 };
    });
  } finally {
    await session.release();
  }
}

function row(network: GraphNetwork, output: string, values: Float32Array, fp32: ArrayLike<number>, bf16: ArrayLike<number> | null, ms: number): NumericsRow {
  return {
    network,
    output,
    ...relativeError(values, fp32),
    vsBf16: bf16 ? relativeError(values, bf16) : null,
    upstreamBf16: bf16 ? relativeError(bf16, fp32) : null,
    nonFinite: countNonFinite(values),
    ms,
  };
}

/** Slices rows [from, to) of the leading axis. */
function rows(t: FixtureTensor, from: number, to: number): Float32Array {
  const per = t.data.length / t.shape[0];
  return (t.data as Float32Array).slice(from * per, to * per);
}

export async function networkNumerics(opts: {
  fixturesDir: string;
  files: ModelFiles;
  graphs: Record<GraphNetwork, string>;
  floatType: 'float32' | 'float16';
  provider: 'cpu' | 'cuda';
  deviceId?: number;
  only?: GraphNetwork[];
  log?: (line: string) => void;
}): Promise<NumericsRow[]> {
  const { graphs, floatType, provider } = opts;
  const deviceId = opts.deviceId ?? 0;
  const want = (n: GraphNetwork) => !opts.only || opts.only.includes(n);
  const out: NumericsRow[] = [];
  const log = opts.log ?? (() => undefined);

  if (want('text encoder')) {
    const fx = loadFixture(join(resolve(opts.fixturesDir), 'umt5.safetensors')).tensors;
    await withSession(graphs['text encoder'], provider, deviceId, async (run) => {
      for (const p of [0, 1]) {
        const ids = fx[`p${p}_input_ids`];
        const feeds = {
          [UMT5_INPUTS.inputIds]: hostTensor('int64', ids.shape, ids.data as BigInt64Array),
          [UMT5_INPUTS.attentionMask]: hostTensor('int64', ids.shape, fx[`p${p}_attention_mask`].data as BigInt64Array),
        };
        const r = await run(feeds, UMT5_OUTPUTS.textEmbeds);
        // upstream runs UMT5 in fp32 (app.py loads it with torch_dtype=float32): one reference
        out.push(row('text encoder', `text_embeds p${p}`, r.values, fx[`p${p}_text_embeds`].data as Float32Array, null, r.ms));
        log(`numerics: text encoder p${p} done`);
      }
    });
  }

  if (want('VAE encoder')) {
    const fx = loadFixture(join(resolve(opts.fixturesDir), 'vae_encoder.safetensors')).tensors;
    const config = readWanVaeConfig(opts.files.vaeDir);
    const [n, , height, width] = fx.image.shape;
    const lat = wanVaeLatentSize(config, height, width);
    const feeds = {
      [WAN_VAE_ENCODER_IO.image]: floatTensor(floatType, fx.image.shape, fx.image.data as Float32Array),
      [WAN_VAE_ENCODER_IO.noise]: floatTensor('float32', [n, config.zDim, lat.height, lat.width], fx.noise.data as Float32Array),
    };
    const r = await withSession(graphs['VAE encoder'], provider, deviceId, (run) => run(feeds, WAN_VAE_ENCODER_IO.latents));
    // bf16 reference: upstream's bf16 sample, normalised in fp32 as upstream's latent_scale_fn does
    const m = fx.latents_mean.data as Float32Array;
    const s = fx.latents_std.data as Float32Array;
    const plane = lat.height * lat.width;
    const bf16 = (fx.sample_bf16.data as Float32Array).map((v, i) => (v - m[Math.floor(i / plane) % config.zDim]) / s[Math.floor(i / plane) % config.zDim]);
    out.push(row('VAE encoder', 'normalised latents', r.values, fx.normalized_fp32.data as Float32Array, bf16, r.ms));
    log('numerics: VAE encoder done');
  }

  if (want('transformer')) {
    const fx = loadFixture(join(resolve(opts.fixturesDir), 'transformer.safetensors')).tensors;
    const ckpt = openTorchCheckpoint(opts.files.checkpointPath);
    let config;
    try {
      config = readWanTransformerConfig(dirname(opts.files.transformerConfigPath), ckpt.source('transformer.'));
    } finally {
      ckpt.close();
    }
    const [, , T, H, W] = fx.hidden_states.shape;
    const feeds = wanTransformerFeeds({
      config,
      grid: { frames: T, height: H, width: W },
      hiddenStates: fx.hidden_states.data as Float32Array,
      timestep: fx.timestep.data as Float32Array,
      encoderHiddenStates: fx.encoder_hidden_states.data as Float32Array,
      ioType: opts.floatType,
    });
    const r = await withSession(graphs.transformer, provider, deviceId, (run) => run(feeds, WAN_TRANSFORMER_IO.output));
    out.push(row('transformer', 'velocity + features', r.values, fx.out_fp32.data as Float32Array, fx.out_bf16.data as Float32Array, r.ms));
    log('numerics: transformer done');
  }

  if (want('recon decoder')) {
    const fx = loadFixture(join(resolve(opts.fixturesDir), 'recon_decoder.safetensors')).tensors;
    const [n, c, , h, w] = fx.feats.shape;
    const zc = fx.z.shape[1];
    const feeds = {
      [RECON_DECODER_IO.feats]: floatTensor(floatType, [n, c, h, w], rows(fx.feats, 0, n)),
      [RECON_DECODER_IO.z]: floatTensor(floatType, [n, zc, h, w], rows(fx.z, 0, n)),
      [RECON_DECODER_IO.cameras]: floatTensor('float32', [1, n, 11], fx.cameras.data as Float32Array),
    };
    const r = await withSession(graphs['recon decoder'], provider, deviceId, (run) => run(feeds, RECON_DECODER_IO.gaussians));
    out.push(row('recon decoder', 'Gaussians', r.values, fx.gaussians_fp32.data as Float32Array, fx.gaussians_bf16.data as Float32Array, r.ms));
    log('numerics: recon decoder done');
  }
  return out;
}

export function formatNumerics(rowsIn: NumericsRow[]): string {
  const pct = (x: number) => `${(x * 100).toPrecision(3)} %`;
  const lines = ['| network | output | ours vs fp32: max err / scale | rms rel | ours vs bf16 rms rel | upstream bf16 vs fp32 rms rel | non-finite | run ms |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rowsIn) {
    lines.push(
      `| ${r.network} | ${r.output} | ${pct(r.maxErrOfScale)} | ${pct(r.rmsRel)} | ${r.vsBf16 ? pct(r.vsBf16.rmsRel) : '—'} | ${r.upstreamBf16 ? pct(r.upstreamBf16.rmsRel) : '—'} | ${r.nonFinite} | ${r.ms.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}
