/**
 * Read-only ZIP reader over a file descriptor, for torch checkpoints (`torch.save` writes a ZIP of
 * stored, uncompressed entries, ZIP64 when the archive passes 4 GB). Only the central directory is
 * read at open; entry bytes are read on request, in ranges, so a 20 GB archive costs nothing to
 * open. Deflated entries are accepted for small records only (some tools re-zip checkpoints).
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { StudioError } from '../../shared/errors';
import { closeQuietly, fileSizeOf, openForReading, readAt } from './fileIO';

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/** Inflating happens in memory; checkpoints never deflate their tensor data, only tiny records. */
const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

const REDOWNLOAD = 'The file is damaged or incomplete: delete it and download it again.';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER; // caught by the bounds checks
  return Number(v);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class ZipArchive {
  private readonly byName = new Map<string, ZipEntry>();
  private readonly dataOffsets = new Map<string, number>();
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    readonly fileSize: number,
    readonly entries: readonly ZipEntry[],
  ) {
    this.fd = fd;
    for (const e of entries) this.byName.set(e.name, e);
  }

  /** Opens and reads the central directory. Throws WEIGHTS_NOT_FOUND / _TRUNCATED / _CORRUPT. */
  static open(path: string, what = 'Checkpoint'): ZipArchive {
    const fd = openForReading(path, what);
    try {
      const size = fileSizeOf(fd);
      return new ZipArchive(path, fd, size, readCentralDirectory(path, fd, size));
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** Absolute file offset of an entry's data (past its local header, whose extra field may differ from the central one). */
  dataOffset(entry: ZipEntry): number {
    const cached = this.dataOffsets.get(entry.name);
    if (cached !== undefined) return cached;
    const header = readAt(this.handle(), entry.localHeaderOffset, 30);
    if (header.byteLength < 30) throw this.truncated(entry);
    const view = viewOf(header);
    if (view.getUint32(0, true) !== LOCAL_SIG) {
      throw new StudioError('WEIGHTS_CORRUPT', `${this.path}: entry "${entry.name}" has no valid local header. ${REDOWNLOAD}`);
    }
    const start = entry.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
    if (start + entry.compressedSize > this.fileSize) throw this.truncated(entry);
    this.dataOffsets.set(entry.name, start);
    return start;
  }

  /** Reads `length` bytes at `offset` inside a stored (uncompressed) entry. */
  readRange(entry: ZipEntry, offset: number, length: number): Uint8Array {
    if (entry.method !== METHOD_STORED) {
      throw new StudioError(
        'WEIGHTS_UNSUPPORTED',
        `${this.path}: entry "${entry.name}" is compressed; tensor data must be stored uncompressed as torch.save writes it. Use the original file.`,
      );
    }
    if (offset < 0 || length < 0 || offset + length > entry.size) {
      throw new StudioError(
        'WEIGHTS_CORRUPT',
        `${this.path}: a read of bytes ${offset}..${offset + length} falls outside entry "${entry.name}" (${entry.size} bytes). ${REDOWNLOAD}`,
      );
    }
    const bytes = readAt(this.handle(), this.dataOffset(entry) + offset, length, `${this.path}: entry "${entry.name}"`);
    if (bytes.byteLength !== length) throw this.truncated(entry);
    return bytes;
  }

  /** Reads a whole entry (stored, or deflated up to 256 MB) and checks its CRC. */
  readEntry(entry: ZipEntry): Uint8Array {
    let bytes: Uint8Array;
    if (entry.method === METHOD_STORED) {
      bytes = this.readRange(entry, 0, entry.size);
    } else if (entry.method === METHOD_DEFLATE) {
      if (entry.size > MAX_INFLATED_BYTES) {
        throw new StudioError('WEIGHTS_UNSUPPORTED', `${this.path}: entry "${entry.name}" is a ${entry.size}-byte compressed record, too large to inflate. Use the original file.`);
      }
      const raw = readAt(this.handle(), this.dataOffset(entry), entry.compressedSize);
      if (raw.byteLength !== entry.compressedSize) throw this.truncated(entry);
      try {
        bytes = new Uint8Array(inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) }));
      } catch (cause) {
        throw new StudioError('WEIGHTS_CORRUPT', `${this.path}: entry "${entry.name}" does not inflate (${(cause as Error).message}). ${REDOWNLOAD}`, { cause });
      }
      if (bytes.byteLength !== entry.size) {
        throw new StudioError('WEIGHTS_CORRUPT', `${this.path}: entry "${entry.name}" inflates to ${bytes.byteLength} bytes, not ${entry.size}. ${REDOWNLOAD}`);
      }
    } else {
      throw new StudioError('WEIGHTS_UNSUPPORTED', `${this.path}: entry "${entry.name}" uses ZIP compression method ${entry.method}. Use the original file.`);
    }
    if (crc32(bytes) >>> 0 !== entry.crc32) {
      throw new StudioError('WEIGHTS_CORRUPT', `${this.path}: entry "${entry.name}" fails its checksum. ${REDOWNLOAD}`);
    }
    return bytes;
  }

  close(): void {
    closeQuietly(this.fd);
    this.fd = undefined;
  }

  private handle(): number {
    if (this.fd === undefined) throw new StudioError('INTERNAL', `${this.path} was read after it was closed.`);
    return this.fd;
  }

  private truncated(entry: ZipEntry): StudioError {
    return new StudioError('WEIGHTS_TRUNCATED', `${this.path}: entry "${entry.name}" runs past the end of the file. ${REDOWNLOAD}`);
  }
}

function readCentralDirectory(path: string, fd: number, fileSize: number): ZipEntry[] {
  const tailLen = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tail = readAt(fd, fileSize - tailLen, tailLen);
  const tailView = viewOf(tail);
  let eocd = -1;
  for (let i = tailLen - EOCD_SIZE; i >= 0; i--) {
    if (tailView.getUint32(i, true) === EOCD_SIG && i + EOCD_SIZE + tailView.getUint16(i + 20, true) <= tailLen) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const head = readAt(fd, 0, 4);
    const startsLikeZip = head.byteLength === 4 && viewOf(head).getUint32(0, true) === LOCAL_SIG;
    throw startsLikeZip
      ? new StudioError('WEIGHTS_TRUNCATED', `${path} ends before its ZIP directory: the file is incomplete. ${REDOWNLOAD}`)
      : new StudioError('WEIGHTS_CORRUPT', `${path} is not a ZIP archive (torch checkpoints are). ${REDOWNLOAD}`);
  }
  const eocdAbs = fileSize - tailLen + eocd;
  let count = tailView.getUint16(eocd + 10, true);
  let cdSize = tailView.getUint32(eocd + 12, true);
  let cdOffset = tailView.getUint32(eocd + 16, true);
  // A ZIP64 locator sits right before the classic record when the archive needs 64-bit fields.
  if (eocd >= 20 && tailView.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIG) {
    const recordAt = u64(tailView, eocd - 20 + 8);
    const record = readAt(fd, recordAt, 56);
    const rv = viewOf(record);
    if (record.byteLength < 56 || rv.getUint32(0, true) !== ZIP64_EOCD_SIG) {
      throw new StudioError('WEIGHTS_CORRUPT', `${path} has a broken ZIP64 directory record. ${REDOWNLOAD}`);
    }
    count = u64(rv, 32);
    cdSize = u64(rv, 40);
    cdOffset = u64(rv, 48);
  }
  if (cdOffset + cdSize > eocdAbs) {
    throw new StudioError('WEIGHTS_CORRUPT', `${path}: its ZIP directory points outside the file. ${REDOWNLOAD}`);
  }
  const cd = readAt(fd, cdOffset, cdSize);
  const view = viewOf(cd);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || view.getUint32(p, true) !== CENTRAL_SIG) {
      throw new StudioError('WEIGHTS_CORRUPT', `${path}: ZIP directory entry ${i} of ${count} is damaged. ${REDOWNLOAD}`);
    }
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    if (p + 46 + nameLen + extraLen + commentLen > cdSize) {
      throw new StudioError('WEIGHTS_CORRUPT', `${path}: ZIP directory entry ${i} of ${count} is damaged. ${REDOWNLOAD}`);
    }
    const entry: ZipEntry = {
      name: decoder.decode(cd.subarray(p + 46, p + 46 + nameLen)),
      method: view.getUint16(p + 10, true),
      crc32: view.getUint32(p + 16, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localHeaderOffset: view.getUint32(p + 42, true),
    };
    applyZip64Extra(entry, view, p + 46 + nameLen, extraLen, path);
    if (entry.localHeaderOffset + 30 + entry.compressedSize > cdOffset) {
      throw new StudioError('WEIGHTS_CORRUPT', `${path}: entry "${entry.name}" points outside the archive data. ${REDOWNLOAD}`);
    }
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** 64-bit sizes/offset live in extra field 0x0001, present only for the fields set to 0xFFFFFFFF. */
function applyZip64Extra(entry: ZipEntry, view: DataView, start: number, length: number, path: string): void {
  const MAX32 = 0xffffffff;
  const needed = [entry.size === MAX32, entry.compressedSize === MAX32, entry.localHeaderOffset === MAX32];
  if (!needed.some(Boolean)) return;
  for (let q = start; q + 4 <= start + length; ) {
    const id = view.getUint16(q, true);
    const size = view.getUint16(q + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let r = q + 4;
      const take = (): number => {
        if (r + 8 > q + 4 + size) {
          throw new StudioError('WEIGHTS_CORRUPT', `${path}: entry "${entry.name}" has a short ZIP64 field. ${REDOWNLOAD}`);
        }
        const v = u64(view, r);
        r += 8;
        return v;
      };
      if (needed[0]) entry.size = take();
      if (needed[1]) entry.compressedSize = take();
      if (needed[2]) entry.localHeaderOffset = take();
      return;
    }
    q += 4 + size;
  }
  throw new StudioError('WEIGHTS_CORRUPT', `${path}: entry "${entry.name}" lacks its ZIP64 sizes. ${REDOWNLOAD}`);
}

export interface LocalEntryScan {
  /** Entries whose data lies wholly inside the file, in file order. */
  complete: ZipEntry[];
  /** The entry the file ends in, with how many of its data bytes are present. */
  cut?: { name: string; size: number; present: number };
}

const DESCRIPTOR_SIG = 0x08074b50;
/** How far to look for the data descriptor of an entry of unknown size (data.pkl, small records). */
const DESCRIPTOR_SEARCH_BYTES = 64 * 1024 * 1024;

/**
 * Walks local headers from the start of a ZIP whose end is missing (a cut download), so the error
 * can say which entry (and so which tensor) the cut fell in. torch writes sizes after the data (a
 * data descriptor, flag bit 3), so an entry's size comes from `sizeHint` (the caller may know it
 * from data.pkl) or from finding its descriptor nearby. Stops where neither works.
 */
export function scanLocalEntries(path: string, sizeHint: (name: string) => number | undefined = () => undefined): LocalEntryScan {
  const fd = openForReading(path, 'Checkpoint');
  try {
    const fileSize = fileSizeOf(fd);
    const complete: ZipEntry[] = [];
    const decoder = new TextDecoder();
    let at = 0;
    while (at + 30 <= fileSize) {
      const head = readAt(fd, at, 30);
      const v = viewOf(head);
      if (v.getUint32(0, true) !== LOCAL_SIG) break;
      const flags = v.getUint16(6, true);
      const nameLen = v.getUint16(26, true);
      const extraLen = v.getUint16(28, true);
      const rest = readAt(fd, at + 30, nameLen + extraLen);
      const name = decoder.decode(rest.subarray(0, nameLen));
      if (rest.byteLength < nameLen + extraLen) return { complete, cut: { name, size: 0, present: 0 } };
      const dataStart = at + 30 + nameLen + extraLen;
      const entry: ZipEntry = {
        name,
        method: v.getUint16(8, true),
        crc32: v.getUint32(14, true),
        compressedSize: v.getUint32(18, true),
        size: v.getUint32(22, true),
        localHeaderOffset: at,
      };
      readZip64Local(entry, viewOf(rest), nameLen, extraLen);
      let descriptorBytes = 0;
      if (flags & 0x08) {
        const hinted = entry.method === METHOD_STORED ? sizeHint(name) : undefined;
        const found = hinted === undefined ? findDescriptor(fd, dataStart, fileSize) : undefined;
        const size = hinted ?? found?.size;
        if (size === undefined) {
          const reachedEnd = fileSize - dataStart <= DESCRIPTOR_SEARCH_BYTES;
          return reachedEnd ? { complete, cut: { name, size: NaN, present: fileSize - dataStart } } : { complete };
        }
        entry.compressedSize = entry.size = size;
        // descriptor: signature, crc, then 32- or 64-bit sizes; the next header's signature tells which
        const after = dataStart + size;
        descriptorBytes = found?.length ?? (readSig(fd, after + 16) === LOCAL_SIG || readSig(fd, after + 16) === CENTRAL_SIG ? 16 : 24);
      }
      if (dataStart + entry.compressedSize > fileSize) {
        return { complete, cut: { name, size: entry.compressedSize, present: Math.max(0, fileSize - dataStart) } };
      }
      complete.push(entry);
      at = dataStart + entry.compressedSize + descriptorBytes;
    }
    return { complete };
  } finally {
    closeQuietly(fd);
  }
}

function readSig(fd: number, at: number): number | undefined {
  const b = readAt(fd, at, 4);
  return b.byteLength === 4 ? viewOf(b).getUint32(0, true) : undefined;
}

function readZip64Local(entry: ZipEntry, extra: DataView, start: number, length: number): void {
  const MAX32 = 0xffffffff;
  for (let q = start; q + 4 <= start + length; q += 4 + extra.getUint16(q + 2, true)) {
    if (extra.getUint16(q, true) !== ZIP64_EXTRA_ID || q + 4 + extra.getUint16(q + 2, true) > start + length) continue;
    let r = q + 4;
    if (entry.size === MAX32 && r + 8 <= q + 4 + extra.getUint16(q + 2, true)) {
      entry.size = u64(extra, r);
      r += 8;
    }
    if (entry.compressedSize === MAX32 && r + 8 <= q + 4 + extra.getUint16(q + 2, true)) entry.compressedSize = u64(extra, r);
  }
}

/** Finds a data descriptor whose size field matches its distance from `dataStart`. */
function findDescriptor(fd: number, dataStart: number, fileSize: number): { size: number; length: number } | undefined {
  const window = readAt(fd, dataStart, Math.min(DESCRIPTOR_SEARCH_BYTES + 24, fileSize - dataStart));
  const v = viewOf(window);
  for (let p = 0; p + 16 <= window.byteLength; p++) {
    if (v.getUint32(p, true) !== DESCRIPTOR_SIG) continue;
    if (v.getUint32(p + 8, true) === p && v.getUint32(p + 12, true) === p) return { size: p, length: 16 };
    if (p + 24 <= window.byteLength && u64(v, p + 8) === p && u64(v, p + 16) === p) return { size: p, length: 24 };
  }
  return undefined;
}
