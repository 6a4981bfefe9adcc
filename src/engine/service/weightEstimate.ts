/**
 * Bytes each network's graph will hold, estimated from the weight files before any graph is
 * built: element counts from the tensor headers (no tensor data is read) times the bytes of the
 * graph's float type. The graphs carry the same tensors, so this is close; once graphs are built
 * their real sizes replace it (the Model panel says which basis it shows).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphNetwork } from '../model/buildGraphs';
import type { ModelFiles } from '../model/modelFiles';
import type { WeightSource } from '../weights/types';
import { openSafetensorsFolder } from '../weights/safetensors';
import { openTorchCheckpoint } from '../weights/torchCheckpoint';

const BYTES_PER_ELEMENT = { float32: 4, float16: 2 } as const;

function elementCount(source: WeightSource, keep: (key: string) => boolean = () => true): number {
  let n = 0;
  for (const key of source.keys()) {
    if (!keep(key)) continue;
    n += source.info(key).shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

/** A cheap identity of the weight files (path, size, mtime): estimates and graph records go stale when it changes. */
export function weightFilesIdentity(files: ModelFiles): string {
  const stamp = (path: string) => {
    try {
      const s = statSync(path);
      return `${path}:${s.size}:${Math.floor(s.mtimeMs)}`;
    } catch {
      return `${path}:missing`;
    }
  };
  return [stamp(files.checkpointPath), stamp(join(files.vaeDir, 'diffusion_pytorch_model.safetensors')), stamp(files.textEncoderDir)].join('|');
}

const cache = new Map<string, Record<GraphNetwork, number>>();

/** Estimated graph bytes per network for `floatType` (reads tensor headers only). */
export function estimateGraphBytesFromWeights(files: ModelFiles, floatType: 'float32' | 'float16'): Record<GraphNetwork, number> {
  const key = `${weightFilesIdentity(files)}|${floatType}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const bytes = BYTES_PER_ELEMENT[floatType];
  const text = openSafetensorsFolder(files.textEncoderDir);
  const vae = openSafetensorsFolder(files.vaeDir);
  const ckpt = openTorchCheckpoint(files.checkpointPath);
  try {
    const transformer = ckpt.source('transformer.');
    const recon = ckpt.source('recon_decoder.');
    const out: Record<GraphNetwork, number> = {
      'text encoder': elementCount(text) * bytes,
      // The VAE file also holds the decoder, which the encoder graph leaves out.
      'VAE encoder': elementCount(vae, (k) => k.startsWith('encoder.') || k.startsWith('quant_conv.')) * bytes,
      transformer: elementCount(transformer) * bytes,
      'recon decoder': elementCount(recon) * bytes,
    };
    transformer.close();
    recon.close();
    cache.set(key, out);
    return out;
  } finally {
    text.close();
    vae.close();
    ckpt.close();
  }
}
