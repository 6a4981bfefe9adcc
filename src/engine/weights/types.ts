/**
 * What every weight reader (safetensors, torch `.ckpt`) offers the graph builders.
 * Tensors are read lazily, one at a time, so a 21 GB checkpoint never sits in memory.
 */

/** Element types found in weight files, named as safetensors names them. */
export type WeightDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface WeightInfo {
  /** Full key, e.g. `blocks.0.attn1.to_q.weight` (prefix already stripped by `withPrefix`). */
  name: string;
  dtype: WeightDType;
  shape: number[];
}

/** A tensor converted for a graph: fp32 as Float32Array, fp16 as raw IEEE half bits in a Uint16Array. */
export type FloatTensor =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'float16'; shape: number[]; data: Uint16Array };

export interface WeightSource {
  /** Where the weights come from (file or folder path), used in error messages. */
  readonly origin: string;
  keys(): string[];
  has(name: string): boolean;
  info(name: string): WeightInfo;
  /** Reads one tensor and converts it (F32/F16/BF16/F64 → fp32 or fp16). Throws StudioError naming file and tensor. */
  read(name: string, as: 'float32' | 'float16'): FloatTensor;
  /** Releases file handles. */
  close(): void;
}
