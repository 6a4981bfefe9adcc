/**
 * SentencePiece's precompiled normalization rules (`precompiled_charsmap`, e.g. "nmt_nfkc"), read
 * and applied the way HF `tokenizers` does it through the `spm_precompiled` crate.
 *
 * Blob layout: u32 LE trie size in bytes, then the trie as u32 LE units (a darts-clone double
 * array keyed by UTF-8 bytes), then the replacement strings, each ended by a NUL byte. A trie
 * value is the byte offset of a replacement string.
 *
 * Lookup quirks kept on purpose because HF keeps them (its comment: "Yes, this seems broken … check
 * this normalizer against XNLI … If you don't get 100% … you don't pass"):
 * - text is walked by extended grapheme clusters; a cluster shorter than 6 UTF-8 bytes is looked up
 *   whole, and if any rule matches a prefix of it, the FIRST (shortest) match replaces the WHOLE
 *   cluster;
 * - otherwise (no match, or a long cluster) each code point is looked up alone and kept as is when
 *   no rule matches.
 */
import { StudioError } from '../../shared/errors';

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly replacementCache = new Map<number, string>();
  private readonly scratch = new Uint8Array(64);

  constructor(blob: Uint8Array) {
    if (blob.byteLength < 4) throw invalid('it is shorter than its 4-byte header');
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieBytes = view.getUint32(0, true);
    const unitCount = Math.floor(trieBytes / 4);
    if (4 + unitCount * 4 > blob.byteLength) {
      throw invalid(`its trie claims ${trieBytes} bytes but the blob has ${blob.byteLength - 4}`);
    }
    this.units = new Uint32Array(unitCount);
    for (let i = 0; i < unitCount; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.normalized = blob.subarray(4 + unitCount * 4);
    if (!isValidUtf8(this.normalized)) throw invalid('its replacement strings are not valid UTF-8');
  }

  static fromBase64(text: string): PrecompiledCharsmap {
    return new PrecompiledCharsmap(new Uint8Array(Buffer.from(text, 'base64')));
  }

  /** Applies the rules to a whole string (HF `Precompiled::normalize`). */
  normalize(text: string): string {
    let out = '';
    const n = text.length;
    for (let i = 0; i < n; ) {
      // Fast path: an ASCII char followed by an ASCII char (or the end) is a grapheme by itself,
      // except CR LF. Segmenting costs ~2 µs a grapheme; prompts are mostly ASCII.
      const c = text.charCodeAt(i);
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c < 0x80 && next < 0x80 && !(c === 0x0d && next === 0x0a)) {
        out += this.normalizeGrapheme(text[i]);
        i++;
        continue;
      }
      // Otherwise segment up to the next certain boundary: between two ASCII chars (not CR LF)
      // no grapheme rule joins (ASCII is never Extend, ZWJ, SpacingMark, Prepend or a regional
      // indicator), so segmenting the run alone gives the same clusters as the whole text.
      let end = i + 1;
      while (end < n && !isCertainBoundary(text, end)) end++;
      for (const { segment } of graphemes.segment(text.slice(i, end))) out += this.normalizeGrapheme(segment);
      i = end;
    }
    return out;
  }

  private normalizeGrapheme(grapheme: string): string {
    if (utf8Length(grapheme) < 6) {
      const replacement = this.transform(grapheme);
      if (replacement !== null) return replacement;
    }
    let out = '';
    for (const ch of grapheme) out += this.transform(ch) ?? ch;
    return out;
  }

  /**
   * The replacement for the shortest rule matching a prefix of `chunk`, or null when none does
   * (spm_precompiled `transform`: it keeps only `results[0]`).
   */
  transform(chunk: string): string | null {
    // normalize() passes at most 5 bytes; the scratch buffer avoids an allocation per lookup.
    const { read, written } = utf8Encoder.encodeInto(chunk, this.scratch);
    const key = read === chunk.length ? this.scratch : utf8Encoder.encode(chunk);
    const offset = this.firstPrefixValue(key, read === chunk.length ? written : key.length);
    return offset < 0 ? null : this.replacementAt(offset);
  }

  /** Double-array common-prefix search, stopping at the first value (darts-clone unit layout). */
  private firstPrefixValue(key: Uint8Array, length: number): number {
    const units = this.units;
    if (units.length === 0) return -1;
    let nodePos = unitOffset(units[0]);
    for (let i = 0; i < length; i++) {
      const c = key[i];
      if (c === 0) break;
      nodePos ^= c;
      if (nodePos >= units.length) return -1; // would be an out-of-bounds panic in Rust
      const unit = units[nodePos];
      if (unitLabel(unit) !== c) return -1;
      nodePos ^= unitOffset(unit);
      if (unitHasLeaf(unit)) {
        if (nodePos >= units.length) return -1;
        return unitValue(units[nodePos]);
      }
    }
    return -1;
  }

  private replacementAt(offset: number): string {
    let cached = this.replacementCache.get(offset);
    if (cached === undefined) {
      let end = offset;
      while (end < this.normalized.length && this.normalized[end] !== 0) end++;
      cached = utf8Decoder.decode(this.normalized.subarray(offset, end));
      this.replacementCache.set(offset, cached);
    }
    return cached;
  }
}

/** True when a grapheme boundary surely lies before text[k] (0 < k < length). */
function isCertainBoundary(text: string, k: number): boolean {
  const before = text.charCodeAt(k - 1);
  const at = text.charCodeAt(k);
  return before < 0x80 && at < 0x80 && !(before === 0x0d && at === 0x0a);
}

function unitHasLeaf(unit: number): boolean {
  return ((unit >>> 8) & 1) === 1;
}
function unitValue(unit: number): number {
  return unit & 0x7fffffff;
}
function unitLabel(unit: number): number {
  return (unit & 0x800000ff) >>> 0;
}
function unitOffset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function invalid(what: string): StudioError {
  return new StudioError(
    'TOKENIZER_INVALID',
    `The tokenizer's precompiled_charsmap is unreadable: ${what}. Re-download the tokenizer folder.`,
  );
}
