/**
 * Full-size graph build benchmark: streams random weights of the official shapes
 * (test/bench/full_shapes.json, from upstream's classes) to disk in the official formats, then
 * builds each network's ONNX graph from them the way the studio does on first run, and prints the
 * time and peak RSS of each. Each network runs in its own process so its peak RSS is its own.
 *
 *   npm run bench:graphs -- --dir /big/disk [--float float16|float32] [--only umt5,vae,transformer,recon] [--keep]
 *
 * Disk: the biggest network (model.ckpt, 21 GB fp32) plus its graph (10 GB fp16) at a time.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileFingerprint } from '../../src/engine/onnx/cache';
import { getReconDecoderGraph, readReconDecoderConfig } from '../../src/engine/models/reconDecoder';
import { getUmt5EncoderGraph, readUmt5Config } from '../../src/engine/models/umt5';
import { getWanTransformerGraph } from '../../src/engine/models/wanTransformer';
import { readWanTransformerConfig } from '../../src/engine/models/wanTransformerConfig';
import { getWanVaeEncoderGraph, readWanVaeConfig } from '../../src/engine/models/wanVaeEncoder';
import { DTYPE_BYTES } from '../../src/engine/weights/dtypes';
import { openSafetensorsFolder } from '../../src/engine/weights/safetensors';
import { createShardedSafetensorsWriter, type TensorDeclaration } from '../../src/engine/weights/safetensorsWriter';
import { openTorchCheckpoint } from '../../src/engine/weights/torchCheckpoint';
import { createTorchCheckpointWriter, torchTensor, type TorchValue } from '../../src/engine/weights/torchCheckpointWriter';
import type { WeightDType } from '../../src/engine/weights/types';

type Manifest = {
  text_encoder: { config: Record<string, unknown>; tensors: Record<string, { shape: number[]; dtype: WeightDType }> };
  vae: { config: Record<string, unknown>; tensors: Record<string, { shape: number[]; dtype: WeightDType }> };
  transformer_config: Record<string, unknown>;
  model_ckpt: Record<'transformer' | 'recon_decoder', Record<string, { shape: number[]; dtype: WeightDType }>>;
};

const HERE = dirname(fileURLToPath(import.meta.url));
const NETWORKS = ['umt5', 'vae', 'transformer', 'recon'] as const;
type Network = (typeof NETWORKS)[number];

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** One pool of random values reused at tensor-specific offsets: realistic magnitudes, writes at disk speed. */
const POOL = 1 << 22;
const poolF32 = new Float32Array(POOL + 1024);
{
  let s = 12345;
  for (let i = 0; i < poolF32.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    poolF32[i] = (s / 4294967296 - 0.5) * 0.05;
  }
}
const poolBits16 = new Uint16Array(new Uint32Array(poolF32.buffer).map((b) => b >>> 16)); // bf16 bits

function streamRandom(write: (data: ArrayBufferView) => void, dtype: WeightDType, elements: number, salt: number) {
  let done = 0;
  while (done < elements) {
    const n = Math.min(POOL, elements - done);
    const off = (salt * 7919 + done) % 1024;
    if (dtype === 'F32') write(poolF32.subarray(off, off + n));
    else if (dtype === 'BF16') write(poolBits16.subarray(off, off + n));
    else throw new Error(`no random writer for ${dtype}`);
    done += n;
  }
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function writeWeights(root: string, network: Network, m: Manifest): { bytes: number; ms: number } {
  const t0 = performance.now();
  let bytes = 0;
  const wan = join(root, 'Wan-AI/Wan2.2-TI2V-5B-Diffusers');
  if (network === 'umt5' || network === 'vae') {
    const part = network === 'umt5' ? m.text_encoder : m.vae;
    const dir = join(wan, network === 'umt5' ? 'text_encoder' : 'vae');
    mkdirSync(dir, { recursive: true });
    // transformers drops the tied duplicate of the embedding when it saves
    const decls: TensorDeclaration[] = Object.entries(part.tensors)
      .filter(([name]) => name !== 'encoder.embed_tokens.weight')
      .map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
    const config = network === 'umt5' ? { model_type: 'umt5', is_gated_act: true, dense_act_fn: 'gelu_new', ...part.config } : part.config;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const w = createShardedSafetensorsWriter(dir, decls, {
      maxShardBytes: 5e9,
      baseName: network === 'umt5' ? 'model' : 'diffusion_pytorch_model',
    });
    decls.forEach((d, i) => streamRandom((data) => w.write(d.name, data), d.dtype, numel(d.shape), i));
    w.close();
    bytes = decls.reduce((a, d) => a + numel(d.shape) * DTYPE_BYTES[d.dtype], 0);
  } else {
    mkdirSync(join(wan, 'transformer'), { recursive: true });
    mkdirSync(join(wan, 'vae'), { recursive: true });
    writeFileSync(join(wan, 'transformer', 'config.json'), JSON.stringify(m.transformer_config));
    writeFileSync(join(wan, 'vae', 'config.json'), JSON.stringify(m.vae.config));
    const ckptPath = join(root, 'imlixinyang/FlashWorld/model.ckpt');
    mkdirSync(dirname(ckptPath), { recursive: true });
    const tree: Record<string, Record<string, TorchValue>> = { transformer: {}, recon_decoder: {} };
    for (const top of ['transformer', 'recon_decoder'] as const) {
      for (const [name, t] of Object.entries(m.model_ckpt[top])) tree[top][name] = torchTensor(t.dtype, t.shape);
    }
    const w = createTorchCheckpointWriter(ckptPath, tree);
    w.storageNames().forEach((storage, i) => {
      const [top, ...rest] = storage.split('.');
      const t = m.model_ckpt[top as 'transformer' | 'recon_decoder'][rest.join('.')];
      streamRandom((data) => w.write(storage, data), t.dtype, numel(t.shape), i);
      bytes += numel(t.shape) * DTYPE_BYTES[t.dtype];
    });
    w.close();
  }
  return { bytes, ms: performance.now() - t0 };
}

async function buildGraph(root: string, network: Network, cacheDir: string, floatType: 'float32' | 'float16'): Promise<string> {
  const wan = join(root, 'Wan-AI/Wan2.2-TI2V-5B-Diffusers');
  const ckptPath = join(root, 'imlixinyang/FlashWorld/model.ckpt');
  switch (network) {
    case 'umt5': {
      const dir = join(wan, 'text_encoder');
      return getUmt5EncoderGraph({ cacheDir, weights: openSafetensorsFolder(dir), config: readUmt5Config(dir), floatType });
    }
    case 'vae': {
      const dir = join(wan, 'vae');
      return getWanVaeEncoderGraph({ cacheDir, weights: openSafetensorsFolder(dir), weightsId: 'bench', config: readWanVaeConfig(dir), floatType });
    }
    case 'transformer': {
      const weights = openTorchCheckpoint(ckptPath).source('transformer.');
      const config = readWanTransformerConfig(join(wan, 'transformer'), weights);
      return getWanTransformerGraph({ cacheDir, weights, weightsId: fileFingerprint(ckptPath), config, floatType });
    }
    case 'recon': {
      const weights = openTorchCheckpoint(ckptPath).source('recon_decoder.');
      const config = readReconDecoderConfig(join(wan, 'vae'), weights);
      return getReconDecoderGraph({ cacheDir, weights, weightsId: 'bench', config, floatType });
    }
  }
}

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (a, e) => a + (e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
}

/** Child: one network, prints one JSON line. */
async function runOne(network: Network, work: string, floatType: 'float32' | 'float16') {
  const manifest = JSON.parse(readFileSync(join(HERE, 'full_shapes.json'), 'utf8')) as Manifest;
  const root = join(work, 'model');
  const needsCkpt = network === 'transformer' || network === 'recon';
  const write = network === 'recon' ? { bytes: 0, ms: 0 } : writeWeights(root, network, manifest); // recon reuses the ckpt
  const rssAfterWrite = process.resourceUsage().maxRSS * 1024;
  const t0 = performance.now();
  const modelPath = await buildGraph(root, network, join(work, 'graphs'), floatType);
  const buildMs = performance.now() - t0;
  console.log(JSON.stringify({
    network, floatType, weightBytes: write.bytes, writeMs: Math.round(write.ms), buildMs: Math.round(buildMs),
    graphBytes: dirBytes(dirname(modelPath)), peakRssBytes: process.resourceUsage().maxRSS * 1024, rssAfterWrite, needsCkpt,
  }));
}

async function main() {
  const work = arg('dir');
  if (!work) throw new Error('give --dir WORK (a folder on a disk with ≥ 35 GB free)');
  const floatType = (arg('float', 'float16') as 'float32' | 'float16');
  const child = arg('child') as Network | undefined;
  if (child) return runOne(child, work, floatType);

  const only = (arg('only', NETWORKS.join(',')) as string).split(',') as Network[];
  const rows: Record<string, unknown>[] = [];
  for (const network of NETWORKS.filter((n) => only.includes(n))) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', network, '--dir', work, '--float', floatType], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error(`${network} failed (exit ${r.status}): ${r.stdout}`);
    rows.push(JSON.parse(line));
    const row = rows[rows.length - 1] as { weightBytes: number; writeMs: number; buildMs: number; graphBytes: number; peakRssBytes: number };
    console.log(
      `${network.padEnd(12)} weights ${(row.weightBytes / 1e9).toFixed(2)} GB written in ${(row.writeMs / 1000).toFixed(1)} s | ` +
        `${floatType} graph ${(row.graphBytes / 1e9).toFixed(2)} GB built in ${(row.buildMs / 1000).toFixed(1)} s | peak RSS ${(row.peakRssBytes / 1e9).toFixed(2)} GB`,
    );
    if (!process.argv.includes('--keep')) {
      rmSync(join(work, 'graphs'), { recursive: true, force: true });
      if (network !== 'transformer') rmSync(join(work, 'model'), { recursive: true, force: true }); // recon reuses the ckpt
    }
  }
  if (!process.argv.includes('--keep')) rmSync(join(work, 'model'), { recursive: true, force: true });
  console.log(JSON.stringify({ floatType, rows }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
