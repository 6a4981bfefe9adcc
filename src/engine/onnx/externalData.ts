/**
 * Streams weight bytes into an ONNX external-data file as each tensor is converted, so a
 * 20 GB model is never held in memory: every append is written synchronously and dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StudioError } from '../../shared/errors';

/** Tensors at least this big start on a page boundary, so ORT can memory-map them. */
export const EXTERNAL_ALIGN_THRESHOLD = 64 * 1024;
export const EXTERNAL_ALIGNMENT = 4096;

export class ExternalDataWriter {
  readonly filePath: string;
  /** The name tensors reference: relative to the .onnx, which lives in the same folder. */
  readonly location: string;
  private fd: number | null;
  private position = 0;

  constructor(filePath: string) {
    this.filePath = filePath;
    this.location = path.basename(filePath);
    try {
      fs.mkdirSync(path.dirname(filePath), { recursive: true });
      this.fd = fs.openSync(filePath, 'w');
    } catch (cause) {
      throw new StudioError(
        'IO_FAILED',
        `Could not create the weight data file ${filePath}. Check that the folder is writable and the disk has space.`,
        { cause },
      );
    }
  }

  /** Bytes written so far (the file's size). */
  get bytesWritten(): number {
    return this.position;
  }

  append(bytes: Uint8Array): { offset: number; length: number } {
    if (this.fd === null) {
      throw new StudioError('INTERNAL', `External data file ${this.filePath} was appended to after close().`);
    }
    if (bytes.length >= EXTERNAL_ALIGN_THRESHOLD && this.position % EXTERNAL_ALIGNMENT !== 0) {
      const pad = EXTERNAL_ALIGNMENT - (this.position % EXTERNAL_ALIGNMENT);
      this.writeAll(new Uint8Array(pad));
    }
    const offset = this.position;
    this.writeAll(bytes);
    return { offset, length: bytes.length };
  }

  private writeAll(bytes: Uint8Array): void {
    let done = 0;
    try {
      while (done < bytes.length) {
        done += fs.writeSync(this.fd as number, bytes, done, bytes.length - done, this.position + done);
      }
    } catch (cause) {
      throw new StudioError(
        'IO_FAILED',
        `Writing weights to ${this.filePath} failed after ${this.position + done} bytes. Free disk space and try again.`,
        { cause },
      );
    }
    this.position += bytes.length;
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }

  get closed(): boolean {
    return this.fd === null;
  }
}
