/**
 * Added tokens (`</s>`, `<pad>`, `<unk>`, `<extra_id_N>`, …) are cut out of the text before the
 * model sees it, as HF `tokenizers` does in tokenizer/added_vocabulary.rs:
 *  1. tokens with `normalized: false` are matched in the raw text;
 *  2. every remaining piece is normalized, then tokens with `normalized: true` are matched in it
 *     (by their normalized form).
 * Matching is leftmost-longest and non-overlapping (HF uses a daachorse automaton with
 * MatchKind::LeftmostLongest). `single_word`, `lstrip` and `rstrip` adjust a match as HF does.
 */
import type { Normalizer } from './normalizers';
import type { TextSplit } from './preTokenizers';

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A piece of the input: either an added token's id, or text for the model. */
export type InputPiece = { tokenId: number } | TextSplit;

/** Rust regex `\w` (Unicode): alphabetic, marks, decimal digits, connector punctuation, join controls. */
const STARTS_WITH_WORD = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const ENDS_WITH_WORD = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const LEADING_SPACE = /^\p{White_Space}*/u;
const TRAILING_SPACE = /\p{White_Space}*$/u;

class TokenMatcher {
  /** Patterns grouped by first code unit, longest first, for leftmost-longest matching. */
  private readonly byFirstUnit = new Map<number, { pattern: string; token: AddedToken }[]>();

  constructor(entries: { pattern: string; token: AddedToken }[]) {
    for (const entry of entries) {
      if (entry.pattern.length === 0) continue;
      const first = entry.pattern.charCodeAt(0);
      let list = this.byFirstUnit.get(first);
      if (!list) this.byFirstUnit.set(first, (list = []));
      list.push(entry);
    }
    for (const list of this.byFirstUnit.values()) list.sort((a, b) => b.pattern.length - a.pattern.length);
  }

  get isEmpty(): boolean {
    return this.byFirstUnit.size === 0;
  }

  /** Longest pattern starting exactly at `at`, if any. */
  matchAt(text: string, at: number): { end: number; token: AddedToken } | null {
    const list = this.byFirstUnit.get(text.charCodeAt(at));
    if (!list) return null;
    for (const { pattern, token } of list) {
      if (text.startsWith(pattern, at)) return { end: at + pattern.length, token };
    }
    return null;
  }
}

export class AddedVocabulary {
  private readonly rawMatcher: TokenMatcher;
  private readonly normalizedMatcher: TokenMatcher;
  private readonly idByContent = new Map<string, number>();
  private readonly contentById = new Map<number, string>();

  /**
   * @param tokens the added tokens with their final ids (see `assignAddedTokenIds`)
   * @param normalizer the tokenizer's normalizer, used on `normalized: true` tokens' contents
   */
  constructor(tokens: AddedToken[], normalizer: Normalizer | null) {
    const raw: { pattern: string; token: AddedToken }[] = [];
    const normalized: { pattern: string; token: AddedToken }[] = [];
    // HF keeps one token per id (a later token with the same id replaces the earlier one).
    const byId = new Map<number, AddedToken>();
    for (const token of tokens) byId.set(token.id, token);
    for (const token of byId.values()) {
      this.idByContent.set(token.content, token.id);
      this.contentById.set(token.id, token.content);
      if (token.normalized) {
        normalized.push({ pattern: normalizer ? normalizer(token.content) : token.content, token });
      } else {
        raw.push({ pattern: token.content, token });
      }
    }
    this.rawMatcher = new TokenMatcher(raw);
    this.normalizedMatcher = new TokenMatcher(normalized);
  }

  idOf(content: string): number | undefined {
    return this.idByContent.get(content);
  }

  contentOf(id: number): string | undefined {
    return this.contentById.get(id);
  }

  /** One past the largest added-token id (0 when there are none). */
  get idLimit(): number {
    let limit = 0;
    for (const id of this.contentById.keys()) limit = Math.max(limit, id + 1);
    return limit;
  }

  /** Cuts added tokens out of `text` and normalizes the rest, like HF `extract_and_normalize`. */
  extractAndNormalize(text: string, normalizer: Normalizer | null): InputPiece[] {
    const out: InputPiece[] = [];
    for (const piece of splitOnTokens(text, true, this.rawMatcher)) {
      if ('tokenId' in piece) {
        out.push(piece);
        continue;
      }
      const normalizedText = normalizer ? normalizer(piece.text) : piece.text;
      for (const sub of splitOnTokens(normalizedText, piece.atInputStart, this.normalizedMatcher)) out.push(sub);
    }
    return out;
  }
}

function splitOnTokens(text: string, atInputStart: boolean, matcher: TokenMatcher): InputPiece[] {
  if (text.length === 0) return [];
  if (matcher.isEmpty) return [{ text, atInputStart }];
  const out: InputPiece[] = [];
  let startOffset = 0;
  const pushText = (from: number, to: number): void => {
    if (from < to) out.push({ text: text.slice(from, to), atInputStart: atInputStart && from === 0 });
  };
  for (let at = 0; at < text.length; ) {
    const match = matcher.matchAt(text, at);
    if (!match) {
      at++;
      continue;
    }
    const { token } = match;
    let start = at;
    let stop = match.end;
    // HF's automaton resumes right after the raw match, whatever the checks below decide.
    at = match.end;
    if (token.singleWord) {
      const spaceBefore = start === 0 || !ENDS_WITH_WORD.test(text.slice(0, start));
      const spaceAfter = stop === text.length || !STARTS_WITH_WORD.test(text.slice(stop));
      if (!spaceBefore || !spaceAfter) continue;
    }
    if (token.lstrip) {
      const before = text.slice(0, start);
      const spacesStart = before.length - (TRAILING_SPACE.exec(before)?.[0].length ?? 0);
      start = Math.max(spacesStart, startOffset);
    }
    if (token.rstrip) stop += LEADING_SPACE.exec(text.slice(stop))?.[0].length ?? 0;
    pushText(startOffset, start);
    out.push({ tokenId: token.id });
    startOffset = stop;
  }
  pushText(startOffset, text.length);
  return out;
}

/**
 * Gives each added token its id the way HF's deserializer does: the id of the same string in the
 * added vocabulary or the model's vocabulary, else the next id after the model's vocabulary.
 */
export function assignAddedTokenIds(
  tokens: Omit<AddedToken, 'id'>[],
  modelTokenToId: (content: string) => number | undefined,
  modelVocabSize: number,
): AddedToken[] {
  const out: AddedToken[] = [];
  const idByContent = new Map<string, number>();
  let nextId = modelVocabSize;
  for (const token of tokens) {
    if (token.content.length === 0) continue;
    const id = idByContent.get(token.content) ?? modelTokenToId(token.content) ?? nextId++;
    idByContent.set(token.content, id);
    out.push({ ...token, id });
  }
  return out;
}
