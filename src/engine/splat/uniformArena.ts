/**
 * Small uniform parameter blocks, packed 256 bytes apart (the largest offset alignment WebGPU
 * allows an adapter to require) into 64 KiB uniform buffers. Everything written before a submit
 * lands on the GPU with that submit, so each dispatch of a batch gets its own slot.
 */
import type { Binding } from './gpuKernels';

const SLOT_BYTES = 256;
const BUFFER_BYTES = 65536;
const SLOTS_PER_BUFFER = BUFFER_BYTES / SLOT_BYTES;

/** One parameter block: u32 and f32 fields in order, 4 bytes each. */
export type UniformField = { u32: number } | { f32: number };

export class UniformArena {
  private readonly buffers: GPUBuffer[] = [];
  private readonly staging: ArrayBuffer[] = [];
  private used = 0;

  constructor(private readonly device: GPUDevice, private readonly uniformUsage: number, private readonly label: string) {}

  /** Forget every slot (the next batch reuses the buffers). */
  reset(): void {
    this.used = 0;
  }

  /** Reserves a slot holding `fields` (at most 64 of them). */
  slot(fields: UniformField[]): Binding {
    const index = this.used++;
    const bufferIndex = Math.floor(index / SLOTS_PER_BUFFER);
    while (this.buffers.length <= bufferIndex) {
      this.buffers.push(this.device.createBuffer({
        label: `${this.label} uniforms ${this.buffers.length}`,
        size: BUFFER_BYTES,
        usage: this.uniformUsage,
      }));
      this.staging.push(new ArrayBuffer(BUFFER_BYTES));
    }
    const offset = (index % SLOTS_PER_BUFFER) * SLOT_BYTES;
    const view = new DataView(this.staging[bufferIndex], offset, SLOT_BYTES);
    fields.forEach((field, i) => {
      if ('u32' in field) view.setUint32(i * 4, field.u32 >>> 0, true);
      else view.setFloat32(i * 4, field.f32, true);
    });
    const size = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
    return { buffer: this.buffers[bufferIndex], offset, size };
  }

  /** Uploads every slot reserved since the last reset. */
  flush(queue: GPUQueue): void {
    const buffersUsed = Math.ceil(this.used / SLOTS_PER_BUFFER);
    for (let b = 0; b < buffersUsed; b++) {
      const bytes = b === buffersUsed - 1 ? (this.used - b * SLOTS_PER_BUFFER) * SLOT_BYTES : BUFFER_BYTES;
      queue.writeBuffer(this.buffers[b], 0, this.staging[b], 0, bytes);
    }
  }

  destroy(): void {
    for (const buffer of this.buffers) buffer.destroy();
    this.buffers.length = 0;
    this.staging.length = 0;
    this.used = 0;
  }
}

export const u32 = (value: number): UniformField => ({ u32: value });
export const f32 = (value: number): UniformField => ({ f32: value });
