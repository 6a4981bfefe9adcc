/**
 * Builds (or finds in the cache) the four ONNX graphs of a model, without loading them into ONNX
 * Runtime: the model manager's "prepare" step after a download, so the first generation does not
 * pay for it. Keys are the ones createFlashWorldRuntime uses (same builders, same weight
 * identities), which a test checks by loading the runtime afterwards and seeing only cache hits.
 */
import { dirname } from 'node:path';
import { StudioError } from '../../shared/errors';
import { fileFingerprint, type GraphCacheEvent } from '../onnx/cache';
import { getReconDecoderGraph, readReconDecoderConfig } from '../models/reconDecoder';
import { getUmt5EncoderGraph, readUmt5Config } from '../models/umt5';
import { getWanTransformerGraph } from '../models/wanTransformer';
import { readWanTransformerConfig } from '../models/wanTransformerConfig';
import { getWanVaeEncoderGraph, readWanVaeConfig } from '../models/wanVaeEncoder';
import { openSafetensorsFolder } from '../weights/safetensors';
import { openTorchCheckpoint } from '../weights/torchCheckpoint';
import { cancelled } from './hubClient';
import { resolveModelFiles, type ModelFiles } from './modelFiles';

export const GRAPH_NETWORKS = ['text encoder', 'VAE encoder', 'transformer', 'recon decoder'] as const;
export type GraphNetwork = (typeof GRAPH_NETWORKS)[number];

export type GraphBuildEvent =
  | { type: 'graph'; network: GraphNetwork; index: number; of: number; state: 'cached' | 'building' | 'rebuilding'; reason?: string }
  | { type: 'graph-built'; network: GraphNetwork; index: number; of: number; bytes: number; ms: number }
  | { type: 'done'; built: number; cached: number; seconds: number; graphs: Partial<Record<GraphNetwork, string>> };

export interface GraphBuildOptions {
  /** 'test', 'hub' or a model folder (as the runtime takes it), or already resolved files. */
  model: string | ModelFiles;
  cacheDir: string;
  /** Default: fp16 for the CUDA provider, fp32 for the CPU (the model manager's build step). */
  floatType?: 'float32' | 'float16';
  /**
   * Per-network float types that override `floatType`: the runtime builds exactly the graphs its
   * memory mode needs (fp32 for networks on the CPU, see engine/networkPlacement.ts).
   */
  floatTypes?: Partial<Record<GraphNetwork, 'float32' | 'float16'>>;
  provider?: 'cpu' | 'cuda';
  /**
   * The recon decoder's Gaussians output type where its graph is float16; default float16. Its
   * Gaussian head computes in float32, so float16 is not exact: it rounds every Gaussian parameter
   * to fp16 (11 significant bits, 8× finer than the bf16 head parameters upstream computes them
   * from) for half the bytes off the GPU and into the rasterizer, which reads fp16 bits as they
   * are: at full size 308 MB instead of 616 MB each way, four times a generation (issue 6 asks
   * for fp16 tensors between graphs). 'float32' keeps the head's values exactly. Another cache
   * key, so both graphs can be cached. fp32 graphs always give float32.
   */
  reconGaussiansType?: 'float32' | 'float16';
  resourcesDir?: string;
  /** Checked between graphs: a build in progress finishes (its temporary folder is cleaned up otherwise). */
  signal?: AbortSignal;
  onProgress?: (event: GraphBuildEvent) => void;
}

export interface GraphBuildResult {
  /** Path of each network's .onnx in the cache. */
  graphs: Record<GraphNetwork, string>;
  /** The float type each graph was built with. */
  floatTypes: Record<GraphNetwork, 'float32' | 'float16'>;
  built: number;
  cached: number;
}

/** The VAE folder's identity for the graph cache, exactly as the runtime computes it. */
function vaeFingerprint(vaeDir: string): string {
  return fileFingerprint(`${vaeDir}/diffusion_pytorch_model.safetensors`);
}

export async function buildModelGraphs(opts: GraphBuildOptions): Promise<GraphBuildResult> {
  return (await buildGraphsOf(opts, GRAPH_NETWORKS)) as GraphBuildResult;
}

/**
 * Only some networks' graphs (benchmarks build the fp32 CPU graphs in a second process while the
 * first builds the GPU ones): `graphs` holds just those.
 */
export async function buildSomeGraphs(
  opts: GraphBuildOptions,
  networks: readonly GraphNetwork[],
): Promise<Omit<GraphBuildResult, 'graphs'> & { graphs: Partial<Record<GraphNetwork, string>> }> {
  return buildGraphsOf(opts, networks);
}

async function buildGraphsOf(
  opts: GraphBuildOptions,
  networks: readonly GraphNetwork[],
): Promise<Omit<GraphBuildResult, 'graphs'> & { graphs: Partial<Record<GraphNetwork, string>> }> {
  const started = Date.now();
  const files = typeof opts.model === 'string' ? resolveModelFiles(opts.model, opts.resourcesDir) : opts.model;
  const defaultType = opts.floatType ?? (opts.provider === 'cuda' ? 'float16' : 'float32');
  const floatTypes = Object.fromEntries(GRAPH_NETWORKS.map((n) => [n, opts.floatTypes?.[n] ?? defaultType])) as Record<GraphNetwork, 'float32' | 'float16'>;
  const { cacheDir } = opts;
  const of = GRAPH_NETWORKS.length;
  const graphs: Partial<Record<GraphNetwork, string>> = {};
  let built = 0;
  let cached = 0;

  const step = async (network: GraphNetwork, get: (onEvent: (e: GraphCacheEvent) => void) => Promise<string>) => {
    if (!networks.includes(network)) return;
    if (opts.signal?.aborted) throw cancelled();
    const index = GRAPH_NETWORKS.indexOf(network);
    let corrupt: string | undefined;
    graphs[network] = await get((e) => {
      if (e.type === 'hit') {
        cached++;
        opts.onProgress?.({ type: 'graph', network, index, of, state: 'cached' });
      } else if (e.type === 'corrupt') corrupt = e.reason;
      else if (e.type === 'build') opts.onProgress?.({ type: 'graph', network, index, of, state: corrupt ? 'rebuilding' : 'building', reason: corrupt });
      else if (e.type === 'built') {
        built++;
        opts.onProgress?.({ type: 'graph-built', network, index, of, bytes: e.bytes, ms: e.ms });
      }
    });
  };

  const ckpt = openTorchCheckpoint(files.checkpointPath);
  try {
    const textWeights = openSafetensorsFolder(files.textEncoderDir);
    try {
      await step('text encoder', (onEvent) =>
        getUmt5EncoderGraph({ cacheDir, weights: textWeights, config: readUmt5Config(files.textEncoderDir), floatType: floatTypes['text encoder'], onEvent }),
      );
    } finally {
      textWeights.close();
    }

    const vaeConfig = readWanVaeConfig(files.vaeDir);
    const vaeWeights = openSafetensorsFolder(files.vaeDir);
    try {
      const weightsId = `${vaeWeights.origin}:${vaeFingerprint(files.vaeDir)}`;
      await step('VAE encoder', (onEvent) => getWanVaeEncoderGraph({ cacheDir, weights: vaeWeights, weightsId, config: vaeConfig, floatType: floatTypes['VAE encoder'], onEvent }));
    } finally {
      vaeWeights.close();
    }

    const ckptId = fileFingerprint(files.checkpointPath);
    const transformerWeights = ckpt.source('transformer.');
    try {
      const config = readWanTransformerConfig(dirname(files.transformerConfigPath), transformerWeights);
      // I/O in the graph's own type: fp16 graphs take and give fp16 (half the bytes across the host, no casts)
      const floatType = floatTypes.transformer;
      await step('transformer', (onEvent) => getWanTransformerGraph({ cacheDir, weights: transformerWeights, weightsId: ckptId, config, floatType, ioType: floatType, onEvent }));
    } finally {
      transformerWeights.close();
    }

    const reconWeights = ckpt.source('recon_decoder.');
    try {
      const config = readReconDecoderConfig(vaeConfig, reconWeights);
      const gaussiansType = floatTypes['recon decoder'] === 'float16' ? (opts.reconGaussiansType ?? 'float16') : 'float32';
      await step('recon decoder', (onEvent) =>
        getReconDecoderGraph({ cacheDir, weights: reconWeights, weightsId: ckptId, config, floatType: floatTypes['recon decoder'], gaussiansType, onEvent }),
      );
    } finally {
      reconWeights.close();
    }
  } catch (error) {
    if (error instanceof StudioError) throw error;
    throw new StudioError('GRAPH_BUILD_FAILED', `Preparing the graphs of ${files.label} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    ckpt.close();
  }
  opts.onProgress?.({ type: 'done', built, cached, seconds: (Date.now() - started) / 1000, graphs });
  return { graphs, floatTypes, built, cached };
}
