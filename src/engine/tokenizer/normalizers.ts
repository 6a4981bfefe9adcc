/**
 * The normalizers a tokenizer.json may list, with HF `tokenizers` semantics (normalizers/*.rs).
 * Only the normalized text matters for ids, so these are plain string → string functions; HF's
 * offset alignments are not tracked.
 */
import { StudioError } from '../../shared/errors';
import { PrecompiledCharsmap } from './precompiledCharsmap';

export type Normalizer = (text: string) => string;

/** JSON of one normalizer as tokenizer.json stores it (`{"type": ..., ...}`). */
export type NormalizerJson = { type: string } & Record<string, unknown>;

export function buildNormalizer(json: NormalizerJson | null | undefined): Normalizer | null {
  if (json === null || json === undefined) return null;
  switch (json.type) {
    case 'Sequence': {
      const parts = (json.normalizers as NormalizerJson[] | undefined) ?? [];
      const steps = parts.map(buildNormalizer).filter((n): n is Normalizer => n !== null);
      return (text) => steps.reduce((t, step) => step(t), text);
    }
    case 'Precompiled': {
      const blob = json.precompiled_charsmap;
      // An absent map means "no rules"; HF cannot even load such a file, but identity is the
      // only sensible reading.
      if (typeof blob !== 'string' || blob.length === 0) return (text) => text;
      const charsmap = PrecompiledCharsmap.fromBase64(blob);
      return (text) => charsmap.normalize(text);
    }
    case 'Replace':
      return buildReplace(json);
    case 'Strip': {
      const left = json.strip_left !== false;
      const right = json.strip_right !== false;
      return (text) => stripWhitespace(text, left, right);
    }
    case 'Prepend': {
      const prefix = String(json.prepend ?? '');
      return (text) => (text.length > 0 ? prefix + text : text);
    }
    case 'Lowercase':
      return lowercaseEachChar;
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = json.type;
      return (text) => text.normalize(form);
    }
    case 'Nmt':
      return nmt;
    case 'StripAccents':
      return (text) => text.replace(/\p{M}/gu, '');
    default:
      throw new StudioError(
        'TOKENIZER_INVALID',
        `tokenizer.json uses the normalizer "${json.type}", which this studio does not implement. ` +
          'Use the tokenizer folder that ships with the model.',
      );
  }
}

/**
 * Rust's `char::is_whitespace` is the Unicode White_Space property. JS `\s` differs (it includes
 * U+FEFF), so the property is spelled out.
 */
const LEADING_WHITESPACE = /^\p{White_Space}+/u;
const TRAILING_WHITESPACE = /\p{White_Space}+$/u;

export function stripWhitespace(text: string, left: boolean, right: boolean): string {
  let out = text;
  if (left) out = out.replace(LEADING_WHITESPACE, '');
  if (right) out = out.replace(TRAILING_WHITESPACE, '');
  return out;
}

function buildReplace(json: NormalizerJson): Normalizer {
  const pattern = json.pattern as { String?: string; Regex?: string } | undefined;
  const content = String(json.content ?? '');
  if (pattern && typeof pattern.String === 'string') {
    const literal = pattern.String;
    // HF: an empty literal pattern matches nothing.
    if (literal.length === 0) return (text) => text;
    return (text) => text.split(literal).join(content);
  }
  if (pattern && typeof pattern.Regex === 'string') {
    let regex: RegExp;
    try {
      // HF compiles with Oniguruma; the patterns converters emit (e.g. " {2,}") mean the same in
      // JS with the `u` flag.
      regex = new RegExp(pattern.Regex, 'gu');
    } catch (cause) {
      throw new StudioError(
        'TOKENIZER_INVALID',
        `tokenizer.json has a Replace normalizer whose regex /${pattern.Regex}/ this studio cannot compile. ` +
          'Use the tokenizer folder that ships with the model.',
        { cause },
      );
    }
    return (text) => text.replace(regex, () => content);
  }
  throw new StudioError('TOKENIZER_INVALID', 'tokenizer.json has a Replace normalizer without a pattern. Use the tokenizer folder that ships with the model.');
}

/** HF `NormalizedString::lowercase`: each char on its own (no final-sigma context rule). */
function lowercaseEachChar(text: string): string {
  let out = '';
  for (const ch of text) out += ch.toLowerCase();
  return out;
}

/** HF `Nmt`: drop ASCII/C1 controls, map other whitespace-like code points to a space. */
function nmt(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x01 && c <= 0x08) || c === 0x0b || (c >= 0x0e && c <= 0x1f) || c === 0x7f || c === 0x8f || c === 0x9f) {
      continue;
    }
    const toSpace =
      c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x1680 || (c >= 0x200b && c <= 0x200f) ||
      c === 0x2028 || c === 0x2029 || c === 0x2581 || c === 0xfeff || c === 0xfffd;
    out += toSpace ? ' ' : ch;
  }
  return out;
}
