/**
 * fp16 graphs end to end, the test model's four graphs built as fp16 on the CPU execution provider.
 * The rasterizer returns fp16 renders for the fp16 VAE encoder (rounded on the GPU): that must give
 * exactly the scene of the earlier path, where it returned f32 renders and the host rounded them.
 * With the recon decoder's fp16 Gaussians (the default of fp16 graphs), the rasterizer reads the
 * fp16 bits as they are: that must give exactly the scene of widening them on the host first; and
 * generate hands them on as fp16, from which every scene file is the file of the widened path.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelGraphs, GRAPH_NETWORKS, type GraphNetwork } from '../../src/engine/model/buildGraphs';
import { resolveModelFiles } from '../../src/engine/model/modelFiles';
import { readReconDecoderConfig } from '../../src/engine/models/reconDecoder';
import { getWanTransformerGraph, WAN_TRANSFORMER_IO, wanTransformerFeeds } from '../../src/engine/models/wanTransformer';
import { readWanTransformerConfig, type WanTransformerConfig } from '../../src/engine/models/wanTransformerConfig';
import { fileFingerprint } from '../../src/engine/onnx/cache';
import { createSession, type GraphSession } from '../../src/engine/onnx/session';
import { readWanVaeConfig } from '../../src/engine/models/wanVaeEncoder';
import type { GraphFloatType } from '../../src/engine/networkPlacement';
import { NetworkSlots } from '../../src/engine/networkSlots';
import { createOnnxNetworks } from '../../src/engine/onnxNetworks';
import { float32Data, widenToFloat32 } from '../../src/engine/pipeline/floatData';
import { generate, type GenerationResult } from '../../src/engine/pipeline/generate';
import { prepareExport, type ExportOptions } from '../../src/engine/splat/export';
import { encodePly, encodePlyFromGaussians } from '../../src/engine/splat/ply';
import { encodeSpzSync } from '../../src/engine/splat/spz';
import type { GaussianInput } from '../../src/engine/splat/gaussianBlocks';
import { prepareImagePrompt } from '../../src/engine/pipeline/imagePrep';
import type { FlashWorldNetworks, SplatRenderer } from '../../src/engine/pipeline/networks';
import { SeededNoise } from '../../src/engine/pipeline/noise';
import { tokenizeTextPrompt } from '../../src/engine/pipeline/textPrompt';
import { rasterizerSplatRenderer } from '../../src/engine/splatRenderer';
import { loadTokenizerFromFolder } from '../../src/engine/tokenizer';
import { openTorchCheckpoint } from '../../src/engine/weights/torchCheckpoint';
import { validateGenerationRequest } from '../../src/shared/request/generationRequest';
import { fixturesDir } from '../helpers/fixtures';

const FP16 = Object.fromEntries(GRAPH_NETWORKS.map((n) => [n, 'float16'])) as Record<GraphNetwork, GraphFloatType>;

const request = validateGenerationRequest({
  text_prompt: 'a stone bridge',
  image_prompt: join(fixturesDir, 'images', 'case0.png'),
  cameras: [0, -0.3, -0.6].map((z) => ({ quaternion: [1, 0, 0, 0], position: [0.1 * z, 0.05 * z, z], fx: 48, fy: 48, cx: 48, cy: 32 })),
  resolution: [4, 64, 96],
});

/** What each render call received and asked for. */
type RenderCall = { gaussians: string; renders: string };
function watched(renderer: SplatRenderer, calls: RenderCall[]): SplatRenderer {
  return {
    renderViews: (gaussians, cameras, width, height, dtype) => {
      calls.push({ gaussians: gaussians.dtype, renders: dtype });
      return renderer.renderViews(gaussians, cameras, width, height, dtype);
    },
  };
}

describe('generate with fp16 graphs', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'fw-fp16-'));
  const files = resolveModelFiles('test');
  const slots: NetworkSlots[] = [];
  /** fp16 graphs with f32 Gaussians (reconGaussiansType 'float32') and as the runtime builds them by default (fp16 Gaussians) */
  let f32Gaussians: FlashWorldNetworks;
  let f16Gaussians: FlashWorldNetworks;
  /** the fp16 transformer graph with fp32 inputs and output (casts inside), as built before fp16 I/O */
  let f32IoTransformer: GraphSession;
  let transformerConfig: WanTransformerConfig;

  beforeAll(async () => {
    const { graphs, floatTypes } = await buildModelGraphs({ model: files, cacheDir, floatTypes: FP16, reconGaussiansType: 'float32' });
    expect(floatTypes).toEqual(FP16);
    const halfOut = (await buildModelGraphs({ model: files, cacheDir, floatTypes: FP16 })).graphs['recon decoder'];
    const vaeConfig = readWanVaeConfig(files.vaeDir);
    const ckpt = openTorchCheckpoint(files.checkpointPath);
    try {
      const transformerWeights = ckpt.source('transformer.');
      transformerConfig = readWanTransformerConfig(dirname(files.transformerConfigPath), transformerWeights);
      const f32Io = await getWanTransformerGraph({
        cacheDir, weights: transformerWeights, weightsId: fileFingerprint(files.checkpointPath), config: transformerConfig, floatType: 'float16', ioType: 'float32',
      });
      expect(f32Io).not.toBe(graphs.transformer);
      f32IoTransformer = await createSession(f32Io, { provider: 'cpu' });
      const reconWeights = ckpt.source('recon_decoder.');
      const reconConfig = readReconDecoderConfig(vaeConfig, reconWeights);
      reconWeights.close();
      expect(halfOut).not.toBe(graphs['recon decoder']);
      const networksOn = (g: Record<GraphNetwork, string>) => {
        const s = new NetworkSlots({ graphs: g, provider: 'cpu', deviceId: 0, memoryMode: 'gpu' });
        slots.push(s);
        return createOnnxNetworks({ slots: s, memoryMode: 'gpu', deviceId: 0, floatTypes: FP16, vaeConfig, transformerConfig, reconConfig });
      };
      f32Gaussians = networksOn(graphs);
      f16Gaussians = networksOn({ ...graphs, 'recon decoder': halfOut });
    } finally {
      ckpt.close();
    }
  }, 300_000);
  afterAll(async () => {
    for (const s of slots) await s.releaseAll();
    await f32IoTransformer?.release();
  });

  async function run(nets: FlashWorldNetworks, calls: RenderCall[]): Promise<GenerationResult> {
    const prepared = prepareImagePrompt(request.imagePrompt as string, request.cameras, request.width, request.height);
    const tokens = tokenizeTextPrompt(loadTokenizerFromFolder(files.tokenizerDir), request.textPrompt);
    const inputs = {
      cameras: prepared.cameras,
      image: prepared.image,
      tokens: { inputIds: BigInt64Array.from(Array.from(tokens.inputIds, BigInt)), attentionMask: BigInt64Array.from(Array.from(tokens.attentionMask, BigInt)) },
    };
    return generate(request, inputs, nets, watched(rasterizerSplatRenderer(), calls), { noise: new SeededNoise(7) });
  }

  const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
  const differing = (a: Float32Array, b: Float32Array) => {
    expect(a.length).toBe(b.length);
    const x = bitsOf(a), y = bitsOf(b);
    return x.reduce((n, v, i) => n + (v === y[i] ? 0 : 1), 0);
  };
  const f32 = (r: GenerationResult) => widenToFloat32(r.gaussians);
  const plausible = (r: GenerationResult) => {
    expect(r.count).toBe(4 * 2 * 32 * 48);
    expect(f32(r).every(Number.isFinite)).toBe(true);
    expect(new Set(f32(r).subarray(0, 38 * 64)).size).toBeGreaterThan(38 * 16);
  };
  /** Every file the studio and the CLI write of a scene: PLY (both layouts, from Gaussians and via a SplatSet) and SPZ, in both frames. */
  const sceneFiles = (gaussians: GaussianInput, tNorm: number): Buffer[] => {
    const frames: ExportOptions[] = [{ tNorm, frame: 'world', refC2w: request.cameras[0] }, { tNorm, frame: 'camera0' }];
    return frames.flatMap((options) => {
      const set = prepareExport(gaussians, options);
      return [
        encodePlyFromGaussians(gaussians, options), encodePlyFromGaussians(gaussians, options, { layout: 'upstream' }),
        encodePly(set), encodeSpzSync(set),
      ];
    });
  };

  it('renders fp16 for the fp16 VAE encoder and gives bit for bit the scene of rounding f32 renders on the host', async () => {
    const gpuRounded: RenderCall[] = [];
    const hostRounded: RenderCall[] = [];
    const a = await run(f32Gaussians, gpuRounded);
    // the earlier path: renders asked for as f32, rounded to fp16 on the host by the encoder
    const b = await run({ ...f32Gaussians, rendersFloatType: 'float32' }, hostRounded);
    expect(gpuRounded).toEqual(Array(3).fill({ gaussians: 'float32', renders: 'float16' }));
    expect(hostRounded).toEqual(Array(3).fill({ gaussians: 'float32', renders: 'float32' }));
    expect(a.gaussians.dtype).toBe('float32');
    plausible(a);
    expect(differing(f32(a), f32(b))).toBe(0);
  }, 300_000);

  it('feeds the fp16 transformer fp16 bits (features passed back as they came out) and gives bit for bit the scene of f32 I/O cast in the graph', async () => {
    const a = await run(f32Gaussians, []);
    // the earlier path: the whole input assembled in f32 every step and rounded by the graph's Cast,
    // the output widened to f32 by the graph
    let calls = 0;
    const b = await run(
      {
        ...f32Gaussians,
        transformerFloatType: 'float32',
        transformer: async (hidden, frames, h, w, timestep, text) => {
          calls++;
          expect(hidden.dtype).toBe('float32');
          const feeds = wanTransformerFeeds({
            config: transformerConfig, grid: { frames, height: h, width: w }, hiddenStates: widenToFloat32(hidden),
            timestep: Float32Array.of(timestep), encoderHiddenStates: widenToFloat32(text), ioType: 'float32',
          });
          const out = (await f32IoTransformer.run(feeds))[WAN_TRANSFORMER_IO.output];
          expect(out.dtype).toBe('float32');
          return float32Data(out.data as Float32Array);
        },
      },
      [],
    );
    expect(calls).toBe(4);
    expect(f32Gaussians.transformerFloatType).toBe('float16');
    plausible(a);
    expect(differing(f32(a), f32(b))).toBe(0);
  }, 300_000);

  it('with fp16 Gaussians, rasterizes the fp16 bits and gives bit for bit the scene of widening them on the host', async () => {
    const asIs: RenderCall[] = [];
    const widened: RenderCall[] = [];
    const a = await run(f16Gaussians, asIs);
    // the earlier path: the decoder's fp16 output widened on the host, f32 renders rounded on the host
    const b = await run(
      {
        ...f16Gaussians,
        rendersFloatType: 'float32',
        reconDecode: async (...args) => float32Data(widenToFloat32(await f16Gaussians.reconDecode(...args))),
      },
      widened,
    );
    expect(asIs).toEqual(Array(3).fill({ gaussians: 'float16', renders: 'float16' }));
    expect(widened).toEqual(Array(3).fill({ gaussians: 'float32', renders: 'float32' }));
    plausible(a);
    // generate hands the decoder's fp16 bits on as they are (no final widening) ...
    expect(a.gaussians.dtype).toBe('float16');
    expect(b.gaussians.dtype).toBe('float32');
    expect(differing(f32(a), f32(b))).toBe(0);
    // ... and every scene file written from them is the file of the widened path
    const fromHalf = sceneFiles(a.gaussians, a.tNorm);
    const fromWidened = sceneFiles(b.gaussians, b.tNorm);
    expect(fromHalf).toHaveLength(8);
    fromHalf.forEach((file, i) => expect(file.equals(fromWidened[i]), `scene file ${i}`).toBe(true));
    // fp16 Gaussians are a precision trade, not an identity: say how far they move the scene
    const reference = f32((await run(f32Gaussians, [])));
    const ours = f32(a);
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
    console.log(`fp16 Gaussians vs f32 Gaussians (test model, 4 steps): worst relative difference ${worst.toExponential(2)}; ${differing(ours, reference)} of ${reference.length} values differ`);
    expect(differing(ours, reference)).toBeGreaterThan(0);
  }, 300_000);
});
