/**
 * The file-system operations the model downloader uses, behind one interface so tests can swap in
 * failures a real disk won't produce on demand (ENOSPC half-way through a blob, no symlink
 * permission, a given amount of free space).
 */
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname, parse } from 'node:path';

export interface AppendWriter {
  /** Bytes in the file when it was opened (0 when truncated). */
  readonly startSize: number;
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface FileInfo {
  size: number;
  isFile: boolean;
  isSymlink: boolean;
}

export interface ModelFs {
  mkdir(dir: string): Promise<void>;
  /** lstat: null when nothing is there. */
  info(path: string): Promise<FileInfo | null>;
  /** stat through symlinks: null when missing or a dangling link. */
  targetSize(path: string): Promise<number | null>;
  /** Opens for appending (creating it), or empties it first when `truncate`. */
  openAppend(path: string, truncate: boolean): Promise<AppendWriter>;
  read(path: string): AsyncIterable<Uint8Array>;
  readText(path: string): Promise<string | null>;
  readdir(dir: string): Promise<string[]>;
  readlink(path: string): Promise<string | null>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or link; nothing there is fine. */
  remove(path: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  /** Writes a small file through a temporary name, so readers never see half of it. */
  writeTextAtomic(path: string, text: string): Promise<void>;
  /** Creates `path` with `text` only if nothing is there; false when something was. */
  createExclusive(path: string, text: string): Promise<boolean>;
  /** Free bytes for an unprivileged user on the volume holding `dir` (or its nearest existing parent). */
  freeBytes(dir: string): Promise<number>;
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Read size for hashing files that are already on disk. */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;

async function openAppend(path: string, truncate: boolean): Promise<AppendWriter> {
  const handle = await fsp.open(path, truncate ? 'w' : 'a');
  const startSize = (await handle.stat()).size;
  return {
    startSize,
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    },
    close: () => handle.close(),
  };
}

export const nodeModelFs: ModelFs = {
  mkdir: async (dir) => {
    await fsp.mkdir(dir, { recursive: true });
  },
  async info(path) {
    try {
      const st = await fsp.lstat(path);
      return { size: st.size, isFile: st.isFile(), isSymlink: st.isSymbolicLink() };
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  },
  async targetSize(path) {
    try {
      return (await fsp.stat(path)).size;
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  },
  openAppend,
  read: (path) => createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }),
  async readText(path) {
    try {
      return await fsp.readFile(path, 'utf8');
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  },
  async readdir(dir) {
    try {
      return await fsp.readdir(dir);
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  },
  async readlink(path) {
    try {
      return await fsp.readlink(path);
    } catch {
      return null;
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  remove: (path) => fsp.rm(path, { force: true }),
  symlink: (target, path) => fsp.symlink(target, path),
  copyFile: (from, to) => fsp.copyFile(from, to),
  async writeTextAtomic(path, text) {
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await fsp.writeFile(tmp, text);
    await fsp.rename(tmp, path);
  },
  async createExclusive(path, text) {
    try {
      await fsp.writeFile(path, text, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  },
  async freeBytes(dir) {
    let at = dir;
    for (;;) {
      try {
        const st = await fsp.statfs(at);
        return Number(st.bavail) * Number(st.bsize);
      } catch (e) {
        if (!isMissing(e) || at === parse(at).root) throw e;
        at = dirname(at);
      }
    }
  },
};

/** True for the errno codes that mean "the disk (or the user's quota) is full". */
export function isDiskFullError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
