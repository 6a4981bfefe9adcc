/**
 * The generation loop's SplatRenderer on the shared WGSL rasterizer. Gaussians go in the form the
 * recon decoder gave them (fp16 bits or f32) and renders come back in the type asked for (the VAE
 * encoder's input type): fp16 renders are rounded on the GPU, bit for bit as the host would.
 */
import { float16Data, float32Data } from './pipeline/floatData';
import type { SplatRenderer } from './pipeline/networks';
import { renderViews, renderViewsHalf } from './splat/rasterizer';

export function rasterizerSplatRenderer(): SplatRenderer {
  return {
    renderViews: async (gaussians, cameras, width, height, dtype) =>
      dtype === 'float16'
        ? float16Data(await renderViewsHalf(gaussians.data, cameras, width, height))
        : float32Data(await renderViews(gaussians.data, cameras, width, height)),
  };
}
