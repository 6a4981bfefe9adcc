/**
 * Positional reads over a file descriptor. Weight files are tens of GB, so nothing here ever reads
 * more than the caller asked for, and every read lands in a fresh, aligned ArrayBuffer (typed-array
 * views of fp32/fp64 data need 4/8-byte alignment).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StudioError } from '../../shared/errors';

/** readSync takes at most ~2 GiB per call; stay well below. */
const MAX_READ_CHUNK = 1 << 30;
/** V8 caps a Uint8Array at 2^32 - 1 elements. */
const MAX_TYPED_ARRAY_BYTES = 2 ** 32 - 1;

export function openForReading(path: string, what: string): number {
  try {
    return openSync(path, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new StudioError('WEIGHTS_NOT_FOUND', `${what} not found: ${path}. Download the model again or pick the right folder.`, { cause });
    }
    throw new StudioError('IO_FAILED', `Could not open ${what} ${path} (${code ?? String(cause)}). Check the file permissions.`, { cause });
  }
}

export function fileSizeOf(fd: number): number {
  return fstatSync(fd).size;
}

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // closing is best effort: the descriptor may already be gone after an earlier failure
  }
}

/**
 * Reads up to `length` bytes at `position`. Returns fewer only at end of file; callers that need
 * the exact count check `byteLength` and report truncation with their own context.
 */
export function readAt(fd: number, position: number, length: number, what = 'A weight file read'): Uint8Array {
  if (length > MAX_TYPED_ARRAY_BYTES) {
    throw new StudioError(
      'WEIGHTS_UNSUPPORTED',
      `${what} needs ${length} bytes at once; tensors above 4 GB can't be held in one Node typed array. Use a checkpoint that stores this tensor in bf16/fp16.`,
    );
  }
  const out = new Uint8Array(new ArrayBuffer(length));
  let done = 0;
  while (done < length) {
    const chunk = Math.min(MAX_READ_CHUNK, length - done);
    const got = readSync(fd, out, done, chunk, position + done);
    if (got === 0) break;
    done += got;
  }
  return done === length ? out : out.subarray(0, done);
}
