/**
 * Our JPEG decoder must reproduce libjpeg-turbo's default output (what PIL gives upstream). djpeg
 * (Debian libjpeg-turbo-progs) is libjpeg-turbo with the same defaults, so every variant cjpeg can
 * write is compared with it pixel for pixel. Skips, saying why, where those tools are missing.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '../imageDecode';
import { StudioError } from '../../../shared/errors';

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveLibjpeg = hasTool('cjpeg') && hasTool('djpeg');
if (!haveLibjpeg) console.warn('jpegDecode.test: cjpeg/djpeg not found (apt-get install libjpeg-turbo-progs); skipping libjpeg comparisons');

function readPnm(buf: Buffer): Uint8Array {
  const m = buf.toString('latin1', 0, 64).match(/^P([56])\s+(\d+)\s+(\d+)\s+255\s/);
  if (!m) throw new Error('not a binary PNM');
  const px = buf.subarray(m[0].length);
  if (m[1] === '6') return new Uint8Array(px);
  const rgb = new Uint8Array(px.length * 3);
  for (let i = 0; i < px.length; i++) rgb.fill(px[i], i * 3, i * 3 + 3);
  return rgb;
}

function testImage(w: number, h: number, kind: 'smooth' | 'edges' | 'noise'): Uint8Array {
  const img = new Uint8Array(w * h * 3);
  let seed = 7;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (kind === 'smooth') img.set([(x * 255) / w, (y * 255) / h, 128 + 100 * Math.sin(x / 20 + y / 30)], o);
      else if (kind === 'edges') img.set(((x >> 2) + (y >> 3)) % 2 ? [250, 20, 40] : [10, 200, 240], o);
      else for (let c = 0; c < 3; c++) img[o + c] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    }
  }
  return img;
}

const VARIANTS = [
  '-quality 75', // 4:2:0 baseline, as PIL and most cameras write
  '-quality 95 -sample 1x1',
  '-sample 2x1',
  '-sample 1x2',
  '-sample 4x1',
  '-sample 2x2,1x1,2x1',
  '-progressive',
  '-progressive -sample 2x1 -quality 30',
  '-restart 1 -quality 50',
  '-grayscale',
  '-rgb',
  '-optimize -quality 100',
];

describe.skipIf(!haveLibjpeg)('JPEG decoding equals libjpeg-turbo (djpeg)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jpegtest-'));
  for (const [w, h] of [[300, 500], [37, 23], [3, 5], [641, 129]] as const) {
    for (const kind of ['smooth', 'edges', 'noise'] as const) {
      it(`${w}×${h} ${kind}: every cjpeg variant decodes pixel-identically`, () => {
        const ppm = join(dir, 'in.ppm'), jpg = join(dir, 'out.jpg'), pnm = join(dir, 'out.pnm');
        writeFileSync(ppm, Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`), testImage(w, h, kind)]));
        for (const variant of VARIANTS) {
          execFileSync('cjpeg', [...variant.split(' '), '-outfile', jpg, ppm]);
          execFileSync('djpeg', ['-outfile', pnm, jpg]);
          const expected = readPnm(readFileSync(pnm));
          const actual = decodeImage(new Uint8Array(readFileSync(jpg)));
          expect([actual.width, actual.height]).toEqual([w, h]);
          let mismatches = 0;
          for (let i = 0; i < expected.length; i++) if (expected[i] !== actual.data[i]) mismatches++;
          expect({ variant, mismatches }).toEqual({ variant, mismatches: 0 });
        }
      });
    }
  }

  it('refuses a truncated JPEG with INVALID_REQUEST', () => {
    const ppm = join(dir, 't.ppm'), jpg = join(dir, 't.jpg');
    writeFileSync(ppm, Buffer.concat([Buffer.from('P6\n64 64\n255\n'), testImage(64, 64, 'noise')]));
    execFileSync('cjpeg', ['-outfile', jpg, ppm]);
    const bytes = new Uint8Array(readFileSync(jpg));
    expect(() => decodeImage(bytes.subarray(0, Math.floor(bytes.length * 0.6)))).toThrow(StudioError);
    try {
      decodeImage(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    } catch (e) {
      expect((e as StudioError).code).toBe('INVALID_REQUEST');
      expect((e as StudioError).message).toMatch(/truncated/);
    }
  });
});
