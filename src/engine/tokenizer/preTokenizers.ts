/**
 * The pre-tokenizers a SentencePiece-style tokenizer.json lists, with HF `tokenizers` semantics
 * (pre_tokenizers/metaspace.rs, whitespace.rs, sequence.rs).
 *
 * A pre-tokenizer turns each split of the (normalized) text into smaller splits; empty splits are
 * dropped as HF's `PreTokenizedString::split` drops them.
 */
import { StudioError } from '../../shared/errors';

export interface TextSplit {
  text: string;
  /**
   * Whether this split begins at offset 0 of the original input. Metaspace's "first" scheme
   * prepends `▁` only there. (HF derives it from offset alignments; we track the one bit.)
   */
  atInputStart: boolean;
}

export type PreTokenizer = (splits: TextSplit[]) => TextSplit[];

export type PreTokenizerJson = { type: string } & Record<string, unknown>;

export type PrependScheme = 'always' | 'first' | 'never';

export interface MetaspaceOptions {
  replacement: string;
  prependScheme: PrependScheme;
  split: boolean;
}

export function buildPreTokenizer(json: PreTokenizerJson | null | undefined): PreTokenizer | null {
  if (json === null || json === undefined) return null;
  switch (json.type) {
    case 'Sequence': {
      const parts = (json.pretokenizers as PreTokenizerJson[] | undefined) ?? [];
      const steps = parts.map(buildPreTokenizer).filter((p): p is PreTokenizer => p !== null);
      return (splits) => steps.reduce((s, step) => step(s), splits);
    }
    case 'Metaspace':
      return metaspace(metaspaceOptionsFromJson(json));
    case 'WhitespaceSplit':
      return whitespaceSplit;
    default:
      throw new StudioError(
        'TOKENIZER_INVALID',
        `tokenizer.json uses the pre-tokenizer "${json.type}", which this studio does not implement. ` +
          'Use the tokenizer folder that ships with the model.',
      );
  }
}

/** Reads Metaspace options with HF's defaults and its legacy `add_prefix_space` field. */
export function metaspaceOptionsFromJson(json: Record<string, unknown>): MetaspaceOptions {
  const replacement = typeof json.replacement === 'string' ? json.replacement : '▁';
  if ([...replacement].length !== 1) {
    throw new StudioError('TOKENIZER_INVALID', `Metaspace replacement "${replacement}" must be one character. Use the tokenizer folder that ships with the model.`);
  }
  let prependScheme = (json.prepend_scheme ?? 'always') as PrependScheme;
  if (!['always', 'first', 'never'].includes(prependScheme)) {
    throw new StudioError('TOKENIZER_INVALID', `Metaspace prepend_scheme "${String(prependScheme)}" is unknown. Use the tokenizer folder that ships with the model.`);
  }
  // Old files say add_prefix_space: false instead of prepend_scheme: "never".
  if (json.add_prefix_space === false) prependScheme = 'never';
  const split = json.split === undefined || json.split === null ? true : Boolean(json.split);
  return { replacement, prependScheme, split };
}

/**
 * Spaces become the replacement character, which is then prepended per the scheme (unless the
 * split already starts with it); with `split`, every replacement character starts a new split
 * (HF: split on it with MergedWithNext).
 */
export function metaspace(options: MetaspaceOptions): PreTokenizer {
  const { replacement, prependScheme, split } = options;
  return (splits) => {
    const out: TextSplit[] = [];
    for (const s of splits) {
      let text = s.text.split(' ').join(replacement);
      const prepend =
        text.length > 0 &&
        !text.startsWith(replacement) &&
        (prependScheme === 'always' || (prependScheme === 'first' && s.atInputStart));
      if (prepend) text = replacement + text;
      if (!split) {
        if (text.length > 0) out.push({ text, atInputStart: s.atInputStart });
        continue;
      }
      let start = 0;
      for (let i = text.indexOf(replacement, 1); i >= 0; i = text.indexOf(replacement, i + replacement.length)) {
        out.push({ text: text.slice(start, i), atInputStart: s.atInputStart && start === 0 });
        start = i;
      }
      if (start < text.length) out.push({ text: text.slice(start), atInputStart: s.atInputStart && start === 0 });
    }
    return out;
  };
}

/** Splits on Unicode White_Space (Rust `char::is_whitespace`), dropping the whitespace. */
export const whitespaceSplit: PreTokenizer = (splits) => {
  const out: TextSplit[] = [];
  const word = /\P{White_Space}+/gu;
  for (const s of splits) {
    for (const m of s.text.matchAll(word)) {
      out.push({ text: m[0], atInputStart: s.atInputStart && m.index === 0 });
    }
  }
  return out;
};
