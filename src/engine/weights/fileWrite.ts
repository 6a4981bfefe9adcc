/**
 * Positional writes for the streaming weight writers (benchmarks write tens of GB of random
 * weights, tests write small and deliberately broken files).
 */
import { writeSync } from 'node:fs';
import { StudioError } from '../../shared/errors';

const MAX_WRITE_CHUNK = 1 << 30;

export function asBytes(data: ArrayBufferView): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function writeAt(fd: number, bytes: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const chunk = Math.min(MAX_WRITE_CHUNK, bytes.byteLength - done);
    let wrote: number;
    try {
      wrote = writeSync(fd, bytes, done, chunk, position + done);
    } catch (cause) {
      throw new StudioError('IO_FAILED', `Could not write ${path} (${(cause as NodeJS.ErrnoException).code ?? cause}). Check free disk space.`, {
        cause,
      });
    }
    done += wrote;
  }
}

/**
 * Tracks how many bytes of each declared item have arrived, so data can stream in chunks and
 * `finish` can tell exactly what is missing.
 */
export class ProgressLedger {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly sizes: ReadonlyMap<string, number>,
    private readonly what: string,
  ) {
    for (const name of sizes.keys()) this.written.set(name, 0);
  }

  /** Returns the byte offset inside the item where `length` new bytes go. */
  claim(name: string, length: number): number {
    const size = this.sizes.get(name);
    if (size === undefined) throw new StudioError('INTERNAL', `${this.what}: "${name}" was not declared before writing.`);
    const done = this.written.get(name)!;
    if (done + length > size) {
      throw new StudioError('INTERNAL', `${this.what}: "${name}" got ${done + length} bytes but was declared with ${size}.`);
    }
    this.written.set(name, done + length);
    return done;
  }

  isComplete(name: string): boolean {
    return this.written.get(name) === this.sizes.get(name);
  }

  finish(): void {
    for (const [name, size] of this.sizes) {
      const done = this.written.get(name)!;
      if (done !== size) throw new StudioError('INTERNAL', `${this.what}: "${name}" got ${done} of its ${size} bytes before close().`);
    }
  }
}
