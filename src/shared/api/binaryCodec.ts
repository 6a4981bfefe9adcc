/**
 * One WebSocket frame = a JSON header plus the raw bytes of every Uint8Array in the message, so
 * splat files cross the socket as binary (never as base64 or number arrays in JSON).
 *
 * Layout: u32 LE header length | header JSON (UTF-8) | blob 0 | blob 1 | ...
 * In the header, each Uint8Array is replaced by {"$bin": index, "length": n}.
 */
import { StudioError } from '../errors';

interface BinRef {
  $bin: number;
  length: number;
}

function isBinRef(v: unknown): v is BinRef {
  return typeof v === 'object' && v !== null && typeof (v as BinRef).$bin === 'number' && Object.keys(v).length === 2;
}

export function encodeFrame(message: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  const header = JSON.stringify(message, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      blobs.push(value);
      return { $bin: blobs.length - 1, length: value.byteLength };
    }
    return value;
  });
  const headerBytes = new TextEncoder().encode(header);
  const total = 4 + headerBytes.byteLength + blobs.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, headerBytes.byteLength, true);
  out.set(headerBytes, 4);
  let offset = 4 + headerBytes.byteLength;
  for (const b of blobs) {
    out.set(b, offset);
    offset += b.byteLength;
  }
  return out;
}

export function decodeFrame(frame: Uint8Array): unknown {
  const malformed = (why: string) =>
    new StudioError('INVALID_MESSAGE', `A message could not be decoded (${why}). Reload the page; if it persists, update the studio.`);
  if (frame.byteLength < 4) throw malformed('shorter than its header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLength = view.getUint32(0, true);
  if (4 + headerLength > frame.byteLength) throw malformed('header longer than the frame');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + headerLength)));
  } catch {
    throw malformed('header is not JSON');
  }
  let offset = 4 + headerLength;
  const refs: BinRef[] = [];
  // JSON.parse's reviver visits leaves first; blobs are laid out in stringify order, which is the
  // same depth-first key order, so collect refs then slice in index order.
  const revive = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(revive);
    if (isBinRef(value)) {
      refs.push(value);
      return value;
    }
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = revive(v);
      return out;
    }
    return value;
  };
  const tree = revive(header);
  const blobs = new Map<number, Uint8Array>();
  for (const ref of [...refs].sort((a, b) => a.$bin - b.$bin)) {
    if (offset + ref.length > frame.byteLength) throw malformed('blob past the end of the frame');
    blobs.set(ref.$bin, frame.slice(offset, offset + ref.length));
    offset += ref.length;
  }
  if (offset !== frame.byteLength) throw malformed('trailing bytes');
  const replace = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(replace);
    if (isBinRef(value)) return blobs.get(value.$bin);
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = replace(v);
      return out;
    }
    return value;
  };
  return replace(tree);
}
