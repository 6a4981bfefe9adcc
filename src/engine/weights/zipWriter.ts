/**
 * Streaming writer of uncompressed ZIP archives laid out as torch.save lays them out: every entry
 * stored, its data aligned to 64 bytes through a padding extra field, ZIP64 records when sizes or
 * offsets pass 4 GB (or when forced, so tests cover the ZIP64 paths with small files).
 * Entry sizes are declared first, so the whole layout is known and data can arrive in any order,
 * each entry in sequential chunks; CRCs are patched into the local headers as entries complete.
 */
import { closeSync, openSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { StudioError } from '../../shared/errors';
import { ProgressLedger, asBytes, writeAt } from './fileWrite';

const MAX32 = 0xffffffff;
/** torch's writer pads with an extra field tagged "FB" filled with 'Z'. */
const PADDING_EXTRA_ID = 0x4246;
const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;

export interface ZipEntryDeclaration {
  name: string;
  size: number;
}

interface Layout {
  name: string;
  nameBytes: Uint8Array;
  size: number;
  headerOffset: number;
  dataOffset: number;
  zip64Local: boolean;
  crc: number;
}

export class StoredZipWriter {
  private readonly layout = new Map<string, Layout>();
  private readonly ledger: ProgressLedger;
  private readonly fd: number;
  private readonly endOfData: number;
  private open = true;

  constructor(
    readonly path: string,
    entries: ZipEntryDeclaration[],
    private readonly options: { align?: number; forceZip64?: boolean } = {},
  ) {
    const align = options.align ?? 64;
    const encoder = new TextEncoder();
    let cursor = 0;
    const sizes = new Map<string, number>();
    for (const { name, size } of entries) {
      if (this.layout.has(name)) throw new StudioError('INTERNAL', `${path}: ZIP entry "${name}" declared twice.`);
      const nameBytes = encoder.encode(name);
      const zip64Local = !!options.forceZip64 || size >= MAX32;
      const base = cursor + 30 + nameBytes.length + (zip64Local ? 20 : 0);
      // Like torch's writer, always add the padding field (4 bytes of header at least), even when
      // the data would already be aligned.
      const pad = 4 + ((align - ((base + 4) % align)) % align);
      const dataOffset = base + pad;
      this.layout.set(name, { name, nameBytes, size, headerOffset: cursor, dataOffset, zip64Local, crc: 0 });
      sizes.set(name, size);
      cursor = dataOffset + size;
    }
    this.endOfData = cursor;
    this.ledger = new ProgressLedger(sizes, path);
    this.fd = openSync(path, 'w');
    for (const entry of this.layout.values()) writeAt(this.fd, this.localHeader(entry), entry.headerOffset, path);
  }

  /** Appends a chunk to an entry. */
  write(name: string, data: ArrayBufferView): void {
    if (!this.open) throw new StudioError('INTERNAL', `${this.path}: write("${name}") after close().`);
    const bytes = asBytes(data);
    const at = this.ledger.claim(name, bytes.byteLength);
    const entry = this.layout.get(name)!;
    writeAt(this.fd, bytes, entry.dataOffset + at, this.path);
    entry.crc = crc32(bytes, entry.crc) >>> 0;
    if (this.ledger.isComplete(name)) {
      const crc = new Uint8Array(4);
      new DataView(crc.buffer).setUint32(0, entry.crc, true);
      writeAt(this.fd, crc, entry.headerOffset + 14, this.path);
    }
  }

  /** Checks all entries are complete, then writes the central directory and end records. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    try {
      this.ledger.finish();
      this.writeDirectory();
    } finally {
      closeSync(this.fd);
    }
  }

  private localHeader(e: Layout): Uint8Array {
    const padLen = e.dataOffset - (e.headerOffset + 30 + e.nameBytes.length + (e.zip64Local ? 20 : 0));
    const extraLen = (e.zip64Local ? 20 : 0) + padLen;
    const out = new Uint8Array(30 + e.nameBytes.length + extraLen);
    const v = new DataView(out.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, e.zip64Local ? 45 : 20, true);
    v.setUint16(12, DOS_DATE_1980_01_01, true);
    v.setUint32(18, e.zip64Local ? MAX32 : e.size, true);
    v.setUint32(22, e.zip64Local ? MAX32 : e.size, true);
    v.setUint16(26, e.nameBytes.length, true);
    v.setUint16(28, extraLen, true);
    out.set(e.nameBytes, 30);
    let q = 30 + e.nameBytes.length;
    if (e.zip64Local) {
      v.setUint16(q, 0x0001, true);
      v.setUint16(q + 2, 16, true);
      v.setBigUint64(q + 4, BigInt(e.size), true);
      v.setBigUint64(q + 12, BigInt(e.size), true);
      q += 20;
    }
    v.setUint16(q, PADDING_EXTRA_ID, true);
    v.setUint16(q + 2, padLen - 4, true);
    out.fill(0x5a, q + 4, q + padLen);
    return out;
  }

  private writeDirectory(): void {
    const force = !!this.options.forceZip64;
    const records: Uint8Array[] = [];
    for (const e of this.layout.values()) {
      const big = [force || e.size >= MAX32, force || e.size >= MAX32, force || e.headerOffset >= MAX32];
      const zip64Fields = big.filter(Boolean).length;
      const extraLen = zip64Fields ? 4 + 8 * zip64Fields : 0;
      const rec = new Uint8Array(46 + e.nameBytes.length + extraLen);
      const v = new DataView(rec.buffer);
      v.setUint32(0, 0x02014b50, true);
      v.setUint16(4, zip64Fields ? 45 : 20, true);
      v.setUint16(6, zip64Fields ? 45 : 20, true);
      v.setUint16(14, DOS_DATE_1980_01_01, true);
      v.setUint32(16, e.crc, true);
      v.setUint32(20, big[1] ? MAX32 : e.size, true);
      v.setUint32(24, big[0] ? MAX32 : e.size, true);
      v.setUint16(28, e.nameBytes.length, true);
      v.setUint16(30, extraLen, true);
      v.setUint32(42, big[2] ? MAX32 : e.headerOffset, true);
      rec.set(e.nameBytes, 46);
      if (zip64Fields) {
        let q = 46 + e.nameBytes.length;
        v.setUint16(q, 0x0001, true);
        v.setUint16(q + 2, 8 * zip64Fields, true);
        q += 4;
        // order fixed by the spec: uncompressed size, compressed size, local header offset
        for (const [i, value] of [e.size, e.size, e.headerOffset].entries()) {
          if (!big[i]) continue;
          v.setBigUint64(q, BigInt(value), true);
          q += 8;
        }
      }
      records.push(rec);
    }
    const cdOffset = this.endOfData;
    const cdSize = records.reduce((n, r) => n + r.length, 0);
    const count = records.length;
    const zip64End = force || count >= 0xffff || cdOffset >= MAX32 || cdSize >= MAX32;
    const tail = new Uint8Array((zip64End ? 56 + 20 : 0) + 22);
    const t = new DataView(tail.buffer);
    let q = 0;
    if (zip64End) {
      t.setUint32(0, 0x06064b50, true);
      t.setBigUint64(4, 44n, true);
      t.setUint16(12, 45, true);
      t.setUint16(14, 45, true);
      t.setBigUint64(24, BigInt(count), true);
      t.setBigUint64(32, BigInt(count), true);
      t.setBigUint64(40, BigInt(cdSize), true);
      t.setBigUint64(48, BigInt(cdOffset), true);
      t.setUint32(56, 0x07064b50, true);
      t.setBigUint64(64, BigInt(cdOffset + cdSize), true);
      t.setUint32(72, 1, true);
      q = 76;
    }
    t.setUint32(q, 0x06054b50, true);
    t.setUint16(q + 8, zip64End ? 0xffff : count, true);
    t.setUint16(q + 10, zip64End ? 0xffff : count, true);
    t.setUint32(q + 12, zip64End ? MAX32 : cdSize, true);
    t.setUint32(q + 16, zip64End ? MAX32 : cdOffset, true);
    let at = cdOffset;
    for (const rec of records) {
      writeAt(this.fd, rec, at, this.path);
      at += rec.length;
    }
    writeAt(this.fd, tail, at, this.path);
  }
}
