export * from './graph';
export * from './externalData';
export * from './session';
export * from './cache';
/** All op helpers, norms and attention included: `ops.linear(g, x, w)`, `ops.rmsNorm(g, x, w, eps)`. */
export * as ops from './ops';
export { rmsNorm, layerNorm } from './norms';
export type { RmsNormOptions, LayerNormOptions } from './norms';
export { multiHeadAttention } from './attention';
export type { AttentionOptions } from './attention';
