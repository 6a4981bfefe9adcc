import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectStudioError, makeTempDir } from '../../../test/helpers/weightFiles';
import { ZipArchive } from './zip';
import { StoredZipWriter } from './zipWriter';

let dir = '';
let cleanup = (): void => {};
beforeEach(() => ({ dir, cleanup } = makeTempDir('zip')));
afterEach(() => cleanup());

/** A minimal ZIP as generic tools write it: optional deflate, no alignment, an archive comment. */
function handZip(files: Array<{ name: string; data: Uint8Array; deflate: boolean }>, comment: string): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const body = f.deflate ? deflateRawSync(f.data) : Buffer.from(f.data);
    const name = Buffer.from(f.name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(f.deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc32(f.data), 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(f.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, body);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(f.deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc32(f.data), 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(f.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const c = Buffer.from(comment);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(c.length, 20);
  return Buffer.concat([...locals, cd, end, c]);
}

describe('ZipArchive', () => {
  const text = new TextEncoder().encode('hello hello hello hello hello, checkpoint');

  it('finds the directory behind an archive comment and inflates small deflated entries', () => {
    const path = join(dir, 'generic.zip');
    writeFileSync(path, handZip([{ name: 'a/deflated.txt', data: text, deflate: true }, { name: 'a/stored.bin', data: text, deflate: false }], 'a comment with PK\x05\x06 inside'));
    const zip = ZipArchive.open(path);
    expect(zip.entries.map((e) => [e.name, e.method])).toEqual([['a/deflated.txt', 8], ['a/stored.bin', 0]]);
    expect(zip.readEntry(zip.get('a/deflated.txt')!)).toEqual(text);
    expect(new TextDecoder().decode(zip.readRange(zip.get('a/stored.bin')!, 6, 5))).toBe('hello');
    expectStudioError(() => zip.readRange(zip.get('a/deflated.txt')!, 0, 4), 'WEIGHTS_UNSUPPORTED', path, 'a/deflated.txt');
    expectStudioError(() => zip.readRange(zip.get('a/stored.bin')!, 40, 10), 'WEIGHTS_CORRUPT', path, 'a/stored.bin');
    zip.close();
  });

  it('aligns stored data to 64 bytes and reads ZIP64 fields when forced', () => {
    for (const forceZip64 of [false, true]) {
      const path = join(dir, `w${forceZip64}.zip`);
      const zw = new StoredZipWriter(path, [{ name: 'x/data.pkl', size: 3 }, { name: 'x/data/0', size: text.length }, { name: 'x/empty', size: 0 }], { forceZip64 });
      zw.write('x/data/0', text.subarray(0, 10));
      zw.write('x/data.pkl', new Uint8Array([1, 2, 3]));
      zw.write('x/data/0', text.subarray(10));
      zw.close();
      const zip = ZipArchive.open(path);
      for (const e of zip.entries) expect(zip.dataOffset(e) % 64).toBe(0);
      expect(zip.readEntry(zip.get('x/data/0')!)).toEqual(text); // CRC patched after chunked writes
      expect(zip.readEntry(zip.get('x/empty')!)).toEqual(new Uint8Array(0));
      zip.close();
    }
  });

  it('rejects a CRC mismatch in a deflated record', () => {
    const path = join(dir, 'crc.zip');
    const bytes = handZip([{ name: 'r.txt', data: text, deflate: true }], '');
    bytes.writeUInt32LE(0xdeadbeef, 14);
    const cdAt = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE(0xdeadbeef, cdAt + 16);
    writeFileSync(path, bytes);
    const zip = ZipArchive.open(path);
    expectStudioError(() => zip.readEntry(zip.get('r.txt')!), 'WEIGHTS_CORRUPT', path, 'r.txt', 'checksum');
    zip.close();
  });
});
