/**
 * Where each network runs (the memory mode's placement) and, from that, which float type its
 * graph must have. One rule for both the sessions (networkSlots.ts) and the graphs the runtime
 * builds, so a network never runs a graph meant for the other device.
 *
 * A network on the CPU always gets a float32 graph: ONNX Runtime's CPU execution provider has no
 * fast fp16 GEMM (one 512-token encode of the full UMT5-XXL with the fp16 graph did not finish in
 * 165 s on 16 cores), and upstream runs its offloaded text encoder in fp32 on the CPU as well.
 */
import { MEMORY_MODE_INFO, type MemoryMode, type NetworkPlacement } from '../shared/engine/memoryModes';
import { GRAPH_NETWORKS, type GraphNetwork } from './model/buildGraphs';

export type GraphFloatType = 'float32' | 'float16';

/** Where `network` runs: everything on the CPU with the CPU provider, else where the memory mode says. */
export function networkPlacement(network: GraphNetwork, provider: 'cpu' | 'cuda', memoryMode: MemoryMode): NetworkPlacement {
  if (provider === 'cpu') return 'cpu';
  const info = MEMORY_MODE_INFO[memoryMode];
  if (network === 'text encoder') return info.text;
  if (network === 'VAE encoder') return info.vae;
  if (network === 'recon decoder') return info.recon;
  return info.transformer;
}

export interface GraphFloatTypeOptions {
  provider: 'cpu' | 'cuda';
  memoryMode: MemoryMode;
  /** graphs of networks on the GPU; default float16 */
  gpuFloatType?: GraphFloatType;
  /** the text encoder's graph when it runs on the GPU; default gpuFloatType ('float32': exact, twice the memory) */
  textEncoderPrecision?: GraphFloatType;
}

/** The float type of each network's graph for its placement. */
export function graphFloatTypes(opts: GraphFloatTypeOptions): Record<GraphNetwork, GraphFloatType> {
  const gpu = opts.gpuFloatType ?? 'float16';
  const out = {} as Record<GraphNetwork, GraphFloatType>;
  for (const network of GRAPH_NETWORKS) {
    if (networkPlacement(network, opts.provider, opts.memoryMode) === 'cpu') out[network] = 'float32';
    else out[network] = network === 'text encoder' ? (opts.textEncoderPrecision ?? gpu) : gpu;
  }
  return out;
}
