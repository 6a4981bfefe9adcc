/**
 * JPEG parsing and Huffman decoding (ITU T.81: baseline, extended-sequential and progressive
 * Huffman) into per-component DCT coefficient blocks. Pixel reconstruction, done the libjpeg-turbo
 * way so results equal PIL's, is in jpegPixels.ts.
 *
 * Corrupt entropy data is handled as libjpeg does (bad codes decode as zero, a marker inside scan
 * data reads as zero bits), but running out of data is an error, as PIL reports truncated files.
 */

import { BitReader, JpegError, buildHuffman, type Huffman } from './jpegBitReader';

export { JpegError };

/** jpeg_natural_order: zigzag index → row-major index in the 8×8 block. */
export const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
]);

export interface JpegComponent {
  id: number;
  h: number;
  v: number;
  quantIndex: number;
  /** quantization table in natural order, latched at the component's first scan (as libjpeg) */
  quant: Int32Array | null;
  /** samples actually in the image: ceil(width · h / maxH) × ceil(height · v / maxV) */
  width: number;
  height: number;
  /** block grid padded to whole MCUs */
  blocksPerLine: number;
  blocksPerColumn: number;
  /** coefficients, natural order, 64 per block, row-major over the padded grid */
  coeffs: Int32Array;
}

export interface JpegFrame {
  width: number;
  height: number;
  progressive: boolean;
  maxH: number;
  maxV: number;
  components: JpegComponent[];
  /** APP0 "JFIF" seen */
  jfif: boolean;
  /** APP14 "Adobe" transform flag, or null when absent */
  adobeTransform: number | null;
}

interface ScanSpec {
  components: { comp: JpegComponent; dc: Huffman | undefined; ac: Huffman | undefined }[];
  ss: number;
  se: number;
  ah: number;
  al: number;
}

type BlockDecoder = (r: BitReader, c: ScanSpec['components'][number], block: number, state: { pred: Int32Array; eobrun: number }, ci: number) => void;

function decodeScan(data: Uint8Array, pos: number, frame: JpegFrame, scan: ScanSpec, restartInterval: number): number {
  const r = new BitReader(data, pos);
  const { ss, se, ah, al } = scan;
  const state = { pred: new Int32Array(4), eobrun: 0 };
  let decodeBlock: BlockDecoder;
  if (!frame.progressive) {
    decodeBlock = (rd, c, b, st, ci) => {
      const t = rd.decode(c.dc);
      st.pred[ci] += rd.extend(t);
      const co = c.comp.coeffs;
      co[b] = st.pred[ci];
      for (let k = 1; k < 64; k++) {
        const rs = rd.decode(c.ac), s = rs & 15, run = rs >> 4;
        if (s === 0) {
          if (run < 15) break;
          k += 15;
          continue;
        }
        k += run;
        if (k > 63) break;
        co[b + ZIGZAG[k]] = rd.extend(s);
      }
    };
  } else if (ss === 0) {
    decodeBlock = ah === 0
      ? (rd, c, b, st, ci) => {
          st.pred[ci] += rd.extend(rd.decode(c.dc));
          c.comp.coeffs[b] = st.pred[ci] * (1 << al);
        }
      : (rd, c, b) => {
          if (rd.bit()) c.comp.coeffs[b] |= 1 << al;
        };
  } else if (ah === 0) {
    decodeBlock = (rd, c, b, st) => {
      if (st.eobrun > 0) {
        st.eobrun--;
        return;
      }
      const co = c.comp.coeffs;
      for (let k = ss; k <= se; k++) {
        const rs = rd.decode(c.ac), s = rs & 15, run = rs >> 4;
        if (s === 0) {
          if (run < 15) {
            st.eobrun = (1 << run) - 1 + (run ? rd.receive(run) : 0);
            break;
          }
          k += 15;
          continue;
        }
        k += run;
        if (k > 63) break;
        co[b + ZIGZAG[k]] = rd.extend(s) * (1 << al);
      }
    };
  } else {
    decodeBlock = (rd, c, b, st) => {
      const co = c.comp.coeffs;
      const p1 = 1 << al, m1 = -1 << al;
      let k = ss;
      const refine = (idx: number): void => {
        if (rd.bit() && (co[idx] & p1) === 0) co[idx] += co[idx] >= 0 ? p1 : m1;
      };
      if (st.eobrun === 0) {
        for (; k <= se; k++) {
          const rs = rd.decode(c.ac);
          let run = rs >> 4;
          const s = rs & 15;
          let value = 0;
          if (s) value = rd.bit() ? p1 : m1;
          else if (run !== 15) {
            st.eobrun = (1 << run) + (run ? rd.receive(run) : 0);
            break;
          }
          while (k <= se) {
            const idx = b + ZIGZAG[k];
            if (co[idx] !== 0) refine(idx);
            else if (--run < 0) break;
            k++;
          }
          if (value && k <= 63) co[b + ZIGZAG[k]] = value;
        }
      }
      if (st.eobrun > 0) {
        for (; k <= se; k++) {
          const idx = b + ZIGZAG[k];
          if (co[idx] !== 0) refine(idx);
        }
        st.eobrun--;
      }
    };
  }

  const single = scan.components.length === 1;
  const mcusPerLine = single
    ? Math.ceil(scan.components[0].comp.width / 8)
    : Math.ceil(frame.width / (8 * frame.maxH));
  const mcusPerColumn = single
    ? Math.ceil(scan.components[0].comp.height / 8)
    : Math.ceil(frame.height / (8 * frame.maxV));
  const total = mcusPerLine * mcusPerColumn;
  for (let m = 0; m < total; m++) {
    if (restartInterval && m > 0 && m % restartInterval === 0) {
      r.restart();
      state.pred.fill(0);
      state.eobrun = 0;
    }
    const row = Math.floor(m / mcusPerLine), col = m % mcusPerLine;
    scan.components.forEach((c, ci) => {
      const comp = c.comp;
      if (single) {
        decodeBlock(r, c, (row * comp.blocksPerLine + col) * 64, state, ci);
        return;
      }
      for (let y = 0; y < comp.v; y++) {
        for (let x = 0; x < comp.h; x++) {
          decodeBlock(r, c, ((row * comp.v + y) * comp.blocksPerLine + col * comp.h + x) * 64, state, ci);
        }
      }
    });
  }
  return r.pos;
}

/** Parses a JPEG file and decodes all its scans into coefficient blocks. */
export function decodeJpegCoefficients(data: Uint8Array, maxPixels: number): JpegFrame {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new JpegError('not a JPEG file (no SOI marker)');
  const quantTables: Int32Array[] = [];
  const dcTables: Huffman[] = [], acTables: Huffman[] = [];
  let frame: JpegFrame | null = null;
  let restartInterval = 0, jfif = false, adobeTransform: number | null = null;
  let pos = 2;
  const u16 = (p: number): number => (data[p] << 8) | data[p + 1];
  for (;;) {
    if (pos + 2 > data.length) throw new JpegError('JPEG data ends before the end-of-image marker (truncated file)');
    if (data[pos] !== 0xff) {
      pos++; // garbage between markers: libjpeg skips it with a warning
      continue;
    }
    const marker = data[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break; // EOI
    if (marker === 0x00 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    if (pos + 4 > data.length) throw new JpegError('JPEG data ends inside a marker segment (truncated file)');
    const length = u16(pos + 2);
    const seg = pos + 4, end = pos + 2 + length;
    if (end > data.length) throw new JpegError('JPEG segment runs past the end of the file (truncated file)');
    switch (marker) {
      case 0xdb: { // DQT
        let p = seg;
        while (p < end) {
          const pq = data[p] >> 4, tq = data[p] & 15;
          const table = new Int32Array(64);
          for (let k = 0; k < 64; k++) table[ZIGZAG[k]] = pq ? u16(p + 1 + 2 * k) : data[p + 1 + k];
          quantTables[tq] = table;
          p += 1 + (pq ? 128 : 64);
        }
        break;
      }
      case 0xc4: { // DHT
        let p = seg;
        while (p < end) {
          const tc = data[p] >> 4, th = data[p] & 15;
          const counts = data.subarray(p + 1, p + 17);
          const n = counts.reduce((a, b) => a + b, 0);
          const table = buildHuffman(counts, data.slice(p + 17, p + 17 + n));
          (tc === 0 ? dcTables : acTables)[th] = table;
          p += 17 + n;
        }
        break;
      }
      case 0xdd: restartInterval = u16(seg); break;
      case 0xe0:
        if (length >= 7 && String.fromCharCode(...data.subarray(seg, seg + 5)) === 'JFIF\0') jfif = true;
        break;
      case 0xee:
        if (length >= 14 && String.fromCharCode(...data.subarray(seg, seg + 5)) === 'Adobe') adobeTransform = data[seg + 11];
        break;
      case 0xc0: case 0xc1: case 0xc2: {
        if (frame) throw new JpegError('JPEG with more than one frame is not supported');
        if (data[seg] !== 8) throw new JpegError(`${data[seg]}-bit JPEG is not supported (only 8-bit)`);
        const height = u16(seg + 1), width = u16(seg + 3), n = data[seg + 5];
        if (height === 0 || width === 0) throw new JpegError('JPEG without a declared image size is not supported');
        if (width * height > maxPixels) throw new JpegError(`JPEG is ${width}×${height}, over the pixel limit`);
        if (n !== 1 && n !== 3 && n !== 4) throw new JpegError(`JPEG with ${n} colour components is not supported`);
        const comps: JpegComponent[] = [];
        for (let i = 0; i < n; i++) {
          const o = seg + 6 + 3 * i;
          const h = data[o + 1] >> 4, v = data[o + 1] & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) throw new JpegError('JPEG has invalid sampling factors');
          comps.push({ id: data[o], h, v, quantIndex: data[o + 2], quant: null, width: 0, height: 0, blocksPerLine: 0, blocksPerColumn: 0, coeffs: new Int32Array(0) });
        }
        const maxH = Math.max(...comps.map((c) => c.h)), maxV = Math.max(...comps.map((c) => c.v));
        const mcusPerLine = Math.ceil(width / (8 * maxH)), mcusPerColumn = Math.ceil(height / (8 * maxV));
        for (const c of comps) {
          c.width = Math.ceil((width * c.h) / maxH);
          c.height = Math.ceil((height * c.v) / maxV);
          c.blocksPerLine = mcusPerLine * c.h;
          c.blocksPerColumn = mcusPerColumn * c.v;
          c.coeffs = new Int32Array(c.blocksPerLine * c.blocksPerColumn * 64);
        }
        frame = { width, height, progressive: marker === 0xc2, maxH, maxV, components: comps, jfif, adobeTransform };
        break;
      }
      case 0xc3: case 0xc5: case 0xc6: case 0xc7: case 0xc9: case 0xca: case 0xcb: case 0xcd: case 0xce: case 0xcf:
        throw new JpegError('lossless, hierarchical or arithmetic-coded JPEG is not supported');
      case 0xda: { // SOS
        if (!frame) throw new JpegError('JPEG scan before the frame header');
        const ns = data[seg];
        const comps: ScanSpec['components'] = [];
        for (let i = 0; i < ns; i++) {
          const id = data[seg + 1 + 2 * i], t = data[seg + 2 + 2 * i];
          const comp = frame.components.find((c) => c.id === id);
          if (!comp) throw new JpegError('JPEG scan refers to an unknown component');
          if (!comp.quant) {
            const q = quantTables[comp.quantIndex];
            if (!q) throw new JpegError('JPEG component uses an undefined quantization table');
            comp.quant = q.slice();
          }
          comps.push({ comp, dc: dcTables[t >> 4], ac: acTables[t & 15] });
        }
        const p = seg + 1 + 2 * ns;
        const scan: ScanSpec = { components: comps, ss: data[p], se: data[p + 1], ah: data[p + 2] >> 4, al: data[p + 2] & 15 };
        if (!frame.progressive) {
          scan.ss = 0;
          scan.se = 63;
        }
        pos = decodeScan(data, end, frame, scan, restartInterval);
        continue;
      }
      default:
        break; // APPn, COM and others carry nothing we need
    }
    pos = end;
  }
  if (!frame) throw new JpegError('JPEG has no frame header');
  frame.jfif = jfif;
  frame.adobeTransform = adobeTransform;
  for (const c of frame.components) if (!c.quant) throw new JpegError('JPEG component never appears in a scan');
  return frame;
}
