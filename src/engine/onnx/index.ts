export * from './graph';
export * from './externalData';
export * from './session';
export * as ops from './ops';
export { rmsNorm, layerNorm } from './norms';
export type { RmsNormOptions, LayerNormOptions } from './norms';
export { multiHeadAttention } from './attention';
export type { AttentionOptions } from './attention';
export * from './cache';
