/**
 * Streams weight bytes into an ONNX external-data file as each tensor is converted, so a
 * 20 GB model is never held in memory: every append is written synchronously and dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StudioError } from '../../shared/errors';

/** Tensors at least this big start on a page boundary (4096), so ORT can memory-map them. */
export const EXTERNAL_ALIGN_THRESHOLD = 64 * 1024;
export const EXTERNAL_ALIGNMENT = 4096;
/**
 * Tensors of 1 MiB and more start on a 64 KiB boundary: Windows maps files only at its 64 KiB
 * allocation granularity (what onnx's own external-data writer does too). Costs < 0.5 % of a
 * 20 GB file.
 */
export const EXTERNAL_LARGE_THRESHOLD = 1024 * 1024;
export const EXTERNAL_LARGE_ALIGNMENT = 64 * 1024;
/**
 * The most one write() is asked to move: Node refuses a single write of 2 GiB or more
 * (ERR_OUT_OF_RANGE), and the fp32 UMT5-XXL embedding alone is 4.2 GB.
 */
export const MAX_WRITE_BYTES = 1 << 30;

export class ExternalDataWriter {
  readonly filePath: string;
  /** The name tensors reference: relative to the .onnx, which lives in the same folder. */
  readonly location: string;
  private fd: number | null;
  private position = 0;

  /** `maxWriteBytes`: tests set it small to exercise the split writes without gigabytes. */
  constructor(
    filePath: string,
    private readonly maxWriteBytes = MAX_WRITE_BYTES,
  ) {
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
    const align =
      bytes.length >= EXTERNAL_LARGE_THRESHOLD ? EXTERNAL_LARGE_ALIGNMENT : bytes.length >= EXTERNAL_ALIGN_THRESHOLD ? EXTERNAL_ALIGNMENT : 1;
    if (this.position % align !== 0) this.writeAll(new Uint8Array(align - (this.position % align)));
    const offset = this.position;
    this.writeAll(bytes);
    return { offset, length: bytes.length };
  }

  private writeAll(bytes: Uint8Array): void {
    let done = 0;
    try {
      while (done < bytes.length) {
        done += fs.writeSync(this.fd as number, bytes, done, Math.min(bytes.length - done, this.maxWriteBytes), this.position + done);
      }
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException)?.code;
      const what = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full. Free disk space and try again.' : `${(cause as Error)?.message ?? cause}.`;
      throw new StudioError('IO_FAILED', `Writing weights to ${this.filePath} failed after ${this.position + done} bytes: ${what}`, { cause });
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
