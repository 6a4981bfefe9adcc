/**
 * Reads a whole file into one Uint8Array. fs.readFile refuses files over 2 GiB, and a PLY of a
 * few million degree-3 splats is bigger than that, so large files are read in parts.
 */
import { open } from 'node:fs/promises';
import { StudioError } from '../../shared/errors';

const PART_BYTES = 256 * 1024 * 1024;

export async function readFileBytes(filePath: string, what: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(filePath, 'r');
    const { size } = await handle.stat();
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(bytes, done, Math.min(PART_BYTES, size - done), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } catch (error) {
    throw new StudioError('IO_FAILED', `Could not read ${what} ${filePath}: ${(error as Error).message}.`, { cause: error });
  } finally {
    await handle?.close();
  }
}
