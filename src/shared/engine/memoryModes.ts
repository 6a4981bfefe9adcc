/**
 * Memory modes: where each FlashWorld network lives while the engine runs, from fastest (all on
 * the GPU) to smallest GPU footprint. They mirror upstream app.py's flags: `--offload_t5` runs the
 * text encoder on the CPU, `--offload_vae` runs the VAE encoder and the recon decoder on the CPU.
 * "Unload text encoder" is ours: ONNX Runtime can't move a session between devices, so instead of
 * parking UMT5 on the CPU we load it on the GPU only while a new prompt is encoded (the other
 * graphs are released meanwhile, so the two never share the card); repeated prompts hit the
 * embedding cache and never reload anything.
 *
 * Shared (not engine-only) because the studio shows which mode fits the selected GPU.
 */
export const MEMORY_MODES = ['gpu', 'unload-text-encoder', 'text-encoder-cpu', 'low-vram'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

export type NetworkPlacement = 'gpu' | 'cpu';

export interface MemoryModeInfo {
  id: MemoryMode;
  label: string;
  /** one line for the UI: what it costs */
  tradeoff: string;
  text: NetworkPlacement;
  vae: NetworkPlacement;
  recon: NetworkPlacement;
  /** the transformer always runs on the GPU: on the CPU one step takes minutes */
  transformer: 'gpu';
  /** text encoder loaded only while encoding a new prompt (the other graphs released meanwhile) */
  textEncoderTransient: boolean;
}

export const MEMORY_MODE_INFO: Record<MemoryMode, MemoryModeInfo> = {
  gpu: {
    id: 'gpu',
    label: 'Everything on the GPU',
    tradeoff: 'Fastest; needs the most GPU memory.',
    text: 'gpu',
    vae: 'gpu',
    recon: 'gpu',
    transformer: 'gpu',
    textEncoderTransient: false,
  },
  'unload-text-encoder': {
    id: 'unload-text-encoder',
    label: 'Text encoder unloaded after encoding',
    tradeoff: 'A new prompt reloads the text encoder and then the other networks (seconds); repeated prompts cost nothing.',
    text: 'gpu',
    vae: 'gpu',
    recon: 'gpu',
    transformer: 'gpu',
    textEncoderTransient: true,
  },
  'text-encoder-cpu': {
    id: 'text-encoder-cpu',
    label: 'Text encoder on the CPU',
    tradeoff: 'A new prompt is encoded on the CPU (seconds, more with few cores); like upstream --offload_t5.',
    text: 'cpu',
    vae: 'gpu',
    recon: 'gpu',
    transformer: 'gpu',
    textEncoderTransient: false,
  },
  'low-vram': {
    id: 'low-vram',
    label: 'Text encoder, VAE and decoder on the CPU',
    tradeoff: 'Smallest GPU footprint; each generation takes minutes on the CPU. Like upstream --offload_t5 --offload_vae.',
    text: 'cpu',
    vae: 'cpu',
    recon: 'cpu',
    transformer: 'gpu',
    textEncoderTransient: false,
  },
};

export function isMemoryMode(value: unknown): value is MemoryMode {
  return typeof value === 'string' && (MEMORY_MODES as readonly string[]).includes(value);
}

/** The next mode that needs less GPU memory (what an out-of-memory error suggests), or null. */
export function nextMemoryMode(mode: MemoryMode): MemoryMode | null {
  const i = MEMORY_MODES.indexOf(mode);
  return i < MEMORY_MODES.length - 1 ? MEMORY_MODES[i + 1] : null;
}
