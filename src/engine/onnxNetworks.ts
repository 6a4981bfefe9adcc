/**
 * FlashWorldNetworks (what the generation loop calls) on ONNX Runtime sessions: host arrays in,
 * each network's graph float type on the way in; float32 out, except the transformer's output and
 * the recon decoder's Gaussians, handed on in the graph's output type (fp16 bits go on to the next
 * graph and the rasterizer as they are); frame chunks where the runtime asks for them, CUDA
 * failures explained.
 */
import { CAMERA_STRIDE } from '../shared/camera';
import type { MemoryMode } from '../shared/engine/memoryModes';
import { StudioError } from '../shared/errors';
import { explainCudaFailure } from './gpu/cudaFailure';
import type { GraphNetwork } from './model/buildGraphs';
import { RECON_DECODER_IO, type ReconDecoderConfig } from './models/reconDecoder';
import { UMT5_INPUTS, UMT5_OUTPUTS } from './models/umt5';
import { WAN_TRANSFORMER_IO, wanTransformerFeeds } from './models/wanTransformer';
import type { WanTransformerConfig } from './models/wanTransformerConfig';
import { vaeSpatialFactor, type WanVaeConfig } from './models/wanVaeConfig';
import { WAN_VAE_ENCODER_IO } from './models/wanVaeEncoder';
import type { GraphFloatType } from './networkPlacement';
import type { NetworkSlot, NetworkSlots } from './networkSlots';
import { floatTensor, hostTensor, toFloat32, type HostTensor } from './onnx/session';
import { asFloatType, float16Data, float32Data, type FloatData } from './pipeline/floatData';
import { runInFrameChunks, type FrameArray } from './pipeline/frameChunks';
import type { FlashWorldNetworks } from './pipeline/networks';

export interface CudaContext {
  slots: NetworkSlots;
  memoryMode: MemoryMode;
  deviceId: number;
}

/**
 * Runs `body` on `slot`'s session; a CUDA failure becomes a StudioError that names the cause and
 * the fix. Where the mode runs the network on the CPU, an arena allocation failure is host
 * memory, not GPU memory, and is left as ORT reported it.
 */
export async function withCudaExplained<T>(ctx: CudaContext, slot: NetworkSlot, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const explained = explainCudaFailure(error instanceof StudioError && error.cause ? error.cause : error, {
      what: `the ${slot}`,
      memoryMode: ctx.memoryMode,
      deviceId: ctx.deviceId,
      device: ctx.slots.placement(slot),
    });
    throw explained ?? error;
  }
}

export interface OnnxNetworksOptions extends CudaContext {
  floatTypes: Record<GraphNetwork, GraphFloatType>;
  vaeConfig: WanVaeConfig;
  transformerConfig: WanTransformerConfig;
  reconConfig: ReconDecoderConfig;
  /** frames per VAE-encoder (renders) and recon-decoder call; default all */
  maxFramesPerCall?: number;
}

export function createOnnxNetworks(opts: OnnxNetworksOptions): FlashWorldNetworks {
  const { slots, floatTypes, vaeConfig, transformerConfig, reconConfig, maxFramesPerCall } = opts;
  const run = (slot: NetworkSlot, feeds: Record<string, HostTensor>) => withCudaExplained(opts, slot, async () => (await slots.get(slot)).run(feeds));
  const f = vaeSpatialFactor(vaeConfig);

  const encodeWithVae = async (slot: NetworkSlot, images: FloatData, noise: Float32Array, n: number, height: number, width: number) => {
    // Renders already in the graph's type (fp16 from the rasterizer) go in as they are.
    const image = asFloatType(images, floatTypes['VAE encoder']);
    const out = await run(slot, {
      [WAN_VAE_ENCODER_IO.image]: hostTensor(image.dtype, [n, 3, height, width], image.data),
      [WAN_VAE_ENCODER_IO.noise]: floatTensor('float32', [n, vaeConfig.zDim, height / f, width / f], noise),
    });
    return toFloat32(out[WAN_VAE_ENCODER_IO.latents]);
  };

  return {
    latentDim: vaeConfig.zDim,
    featDim: reconConfig.featChannels,
    latentsMean: Float32Array.from(vaeConfig.latentsMean),
    latentsStd: Float32Array.from(vaeConfig.latentsStd),

    async encodeText(inputIds, attentionMask) {
      const feeds = {
        [UMT5_INPUTS.inputIds]: hostTensor('int64', [1, inputIds.length], inputIds),
        [UMT5_INPUTS.attentionMask]: hostTensor('int64', [1, attentionMask.length], attentionMask),
      };
      const out = await withCudaExplained(opts, 'text encoder', () => slots.withTextEncoder((s) => s.run(feeds)));
      return toFloat32(out[UMT5_OUTPUTS.textEmbeds]);
    },

    // The prompt image and the renders go through two sessions of the same graph, so that
    // neither ever changes input shape (networkSlots.ts says why).
    encodeImage: (image, noise, height, width) => encodeWithVae('VAE encoder (image)', float32Data(image), noise, 1, height, width),
    rendersFloatType: floatTypes['VAE encoder'],
    encodeImages: (images, noise, n, height, width) =>
      runInFrameChunks<[FrameArray, Float32Array], Float32Array>({
        frames: n,
        maxFramesPerCall,
        inputs: [
          { data: images.data, frameSize: 3 * height * width },
          { data: noise, frameSize: vaeConfig.zDim * (height / f) * (width / f) },
        ],
        run: ([im, no], fed) => encodeWithVae('VAE encoder', floatDataOf(im), no, fed, height, width),
      }),

    transformerFloatType: floatTypes.transformer,
    async transformer(hidden, frames, h, w, timestep, textEmbeds) {
      const io = floatTypes.transformer;
      const feeds = wanTransformerFeeds({
        config: transformerConfig,
        grid: { frames, height: h, width: w },
        hiddenStates: asFloatType(hidden, io).data,
        timestep: Float32Array.of(timestep),
        encoderHiddenStates: asFloatType(textEmbeds, io).data,
        ioType: io,
      });
      const out = (await run('transformer', feeds))[WAN_TRANSFORMER_IO.output];
      return out.dtype === 'float16' ? float16Data(out.data as Uint16Array) : float32Data(toFloat32(out));
    },

    async reconDecode(feats, latents, cameras, frames, h, w) {
      const type = floatTypes['recon decoder'];
      const gaussians = await runInFrameChunks<[FrameArray, Float32Array, Float32Array], FrameArray>({
        frames,
        maxFramesPerCall,
        inputs: [
          // features straight from the transformer: fp16 bits go in as they are
          { data: asFloatType(feats, type).data, frameSize: reconConfig.featChannels * h * w },
          { data: latents, frameSize: reconConfig.latentChannels * h * w },
          { data: cameras, frameSize: CAMERA_STRIDE },
        ],
        run: async ([fe, la, ca], fed) => {
          const out = await run('recon decoder', {
            [RECON_DECODER_IO.feats]: hostTensor(type, [fed, reconConfig.featChannels, h, w], fe),
            [RECON_DECODER_IO.z]: floatTensor(type, [fed, reconConfig.latentChannels, h, w], la),
            [RECON_DECODER_IO.cameras]: floatTensor('float32', [1, fed, CAMERA_STRIDE], ca),
          });
          const t = out[RECON_DECODER_IO.gaussians];
          return t.dtype === 'float16' ? (t.data as Uint16Array) : toFloat32(t);
        },
      });
      return floatDataOf(gaussians);
    },
  };
}

/** Host arrays here are f32 values or fp16 bits (Uint16Array), never another 16-bit type. */
function floatDataOf(data: FrameArray): FloatData {
  return data instanceof Uint16Array ? float16Data(data) : float32Data(data);
}
