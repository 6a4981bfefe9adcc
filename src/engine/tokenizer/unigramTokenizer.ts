/**
 * A SentencePiece-Unigram tokenizer (T5, umt5, mT5 family) that yields the ids HF `tokenizers`
 * yields for the same tokenizer.json, through the same stages (tokenizer/mod.rs):
 *   added tokens cut out → normalizer → pre-tokenizer → Unigram model → truncation → template
 *   (`</s>`) → padding.
 * Generic: nothing here knows about FlashWorld's prompt prefix or sequence length.
 */
import { StudioError } from '../../shared/errors';
import type { AddedVocabulary } from './addedVocabulary';
import type { Normalizer } from './normalizers';
import type { PreTokenizer } from './preTokenizers';
import type { PostProcessor } from './templateProcessor';
import type { UnigramModel } from './unigramModel';

export interface TokenizerParts {
  model: UnigramModel;
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  addedVocabulary: AddedVocabulary;
  postProcessor: PostProcessor;
  /** Special tokens named by tokenizer_config.json / special_tokens_map.json. */
  padToken: string | null;
  eosToken: string | null;
  unkToken: string | null;
}

/** What transformers returns for `padding="max_length", truncation=True`. */
export interface FixedLengthEncoding {
  /** `maxLength` ids: the text's tokens, the template's special tokens, then padding. */
  inputIds: Int32Array;
  /** 1 for real tokens (special ones included), 0 for padding. */
  attentionMask: Int32Array;
  /** How many entries of `attentionMask` are 1. */
  tokenCount: number;
}

export interface EncodeOptions {
  /** Apply the post-processor's template (T5: append `</s>`). Default true, as in transformers. */
  addSpecialTokens?: boolean;
}

export interface FixedLengthOptions extends EncodeOptions {
  /** Output length: longer text is truncated, shorter text padded with the pad token. */
  maxLength: number;
}

export class UnigramTokenizer {
  readonly padTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly unkTokenId: number | null;

  constructor(private readonly parts: TokenizerParts) {
    this.padTokenId = parts.padToken === null ? null : (this.tokenToId(parts.padToken) ?? null);
    this.eosTokenId = parts.eosToken === null ? null : (this.tokenToId(parts.eosToken) ?? null);
    this.unkTokenId = parts.unkToken === null ? null : (this.tokenToId(parts.unkToken) ?? null);
  }

  /** Model pieces plus added tokens beyond them. */
  get vocabSize(): number {
    return Math.max(this.parts.model.vocabSize, this.parts.addedVocabulary.idLimit);
  }

  tokenToId(token: string): number | undefined {
    return this.parts.addedVocabulary.idOf(token) ?? this.parts.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.parts.addedVocabulary.contentOf(id) ?? this.parts.model.idToToken(id);
  }

  /** All ids of `text`, with the template's special tokens unless told otherwise; no truncation. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.parts.postProcessor.process(this.encodeContent(text), options.addSpecialTokens ?? true);
  }

  /**
   * Ids truncated and padded to exactly `maxLength`, like transformers'
   * `tokenizer(text, padding="max_length", max_length=maxLength, truncation=True)`. Truncation
   * keeps room for the template's special tokens (HF subtracts them from max_length), keeps the
   * start of the text, and pads on the right.
   */
  encodeFixedLength(text: string, options: FixedLengthOptions): FixedLengthEncoding {
    const { maxLength } = options;
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const processor = this.parts.postProcessor;
    const reserved = addSpecialTokens ? processor.addedTokensSingle : 0;
    if (!Number.isInteger(maxLength) || maxLength < reserved || maxLength <= 0) {
      throw new StudioError(
        'INVALID_REQUEST',
        `Cannot tokenize to ${maxLength} tokens: the length must be a positive integer of at least ${reserved} ` +
          '(room for the special tokens).',
      );
    }
    const content = this.encodeContent(text);
    const kept = content.length > maxLength - reserved ? content.slice(0, maxLength - reserved) : content;
    const ids = processor.process(kept, addSpecialTokens);

    const inputIds = new Int32Array(maxLength);
    const attentionMask = new Int32Array(maxLength);
    const tokenCount = Math.min(ids.length, maxLength);
    for (let i = 0; i < tokenCount; i++) {
      inputIds[i] = ids[i];
      attentionMask[i] = 1;
    }
    if (tokenCount < maxLength) {
      if (this.padTokenId === null) {
        throw new StudioError('TOKENIZER_INVALID', 'The tokenizer defines no pad token, so it cannot pad to a fixed length. Use the tokenizer folder that ships with the model.');
      }
      inputIds.fill(this.padTokenId, tokenCount);
    }
    return { inputIds, attentionMask, tokenCount };
  }

  /** Ids of the text alone (no template), through every stage before post-processing. */
  private encodeContent(text: string): number[] {
    const { addedVocabulary, normalizer, preTokenizer, model } = this.parts;
    const ids: number[] = [];
    for (const piece of addedVocabulary.extractAndNormalize(toWellFormed(text), normalizer)) {
      if ('tokenId' in piece) {
        ids.push(piece.tokenId);
        continue;
      }
      const words = preTokenizer ? preTokenizer([piece]) : [piece];
      for (const word of words) model.tokenize(word.text, ids);
    }
    return ids;
  }
}

/**
 * Lone UTF-16 surrogates have no UTF-8 form (HF only ever sees UTF-8); they become U+FFFD as
 * `TextEncoder` would make them.
 */
function toWellFormed(text: string): string {
  return text.replace(/\p{Cs}/gu, '\uFFFD');
}
