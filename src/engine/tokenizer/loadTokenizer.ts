/**
 * Builds a `UnigramTokenizer` from a Hugging Face tokenizer folder (tokenizer.json, plus
 * tokenizer_config.json and special_tokens_map.json when present) — what transformers'
 * `T5TokenizerFast.from_pretrained(folder)` reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/errors';
import { AddedVocabulary, assignAddedTokenIds, type AddedToken } from './addedVocabulary';
import { buildNormalizer, type NormalizerJson } from './normalizers';
import { buildPreTokenizer, type PreTokenizerJson } from './preTokenizers';
import { parseSentencePieceModel, t5TokenizerJsonFromSentencePiece } from './sentencePieceModel';
import { buildPostProcessor } from './templateProcessor';
import { UnigramModel } from './unigramModel';
import { UnigramTokenizer } from './unigramTokenizer';

/** The files of a tokenizer folder, parsed. Only `tokenizerJson` is required. */
export interface TokenizerFiles {
  tokenizerJson: unknown;
  tokenizerConfig?: unknown;
  specialTokensMap?: unknown;
}

/**
 * Loads tokenizer.json; a folder with only spiece.model is converted as transformers' T5
 * conversion would (see sentencePieceModel.ts).
 */
export function loadTokenizerFromFolder(folder: string): UnigramTokenizer {
  const tokenizerPath = join(folder, 'tokenizer.json');
  const spiecePath = join(folder, 'spiece.model');
  const tokenizerConfig = readJsonIfPresent(join(folder, 'tokenizer_config.json'));
  const specialTokensMap = readJsonIfPresent(join(folder, 'special_tokens_map.json'));
  if (existsSync(tokenizerPath)) {
    return tokenizerFromFiles({ tokenizerJson: readJson(tokenizerPath), tokenizerConfig, specialTokensMap });
  }
  if (existsSync(spiecePath)) {
    const model = parseSentencePieceModel(new Uint8Array(readBytes(spiecePath)));
    const tokenizerJson = t5TokenizerJsonFromSentencePiece(model, extraIdCount(tokenizerConfig, specialTokensMap));
    return tokenizerFromFiles({ tokenizerJson, tokenizerConfig, specialTokensMap });
  }
  throw new StudioError('TOKENIZER_INVALID', `Neither tokenizer.json nor spiece.model is in ${folder}. Re-download the model's tokenizer folder.`);
}

/** T5's `extra_ids` (sentinel count): from tokenizer_config.json, else the listed sentinels, else 100. */
function extraIdCount(config: unknown, specialMap: unknown): number {
  const configured = (config as { extra_ids?: unknown } | undefined)?.extra_ids;
  if (typeof configured === 'number' && Number.isInteger(configured) && configured >= 0) return configured;
  const listed = [
    ...arrayOf((specialMap as { additional_special_tokens?: unknown } | undefined)?.additional_special_tokens),
    ...arrayOf((config as { additional_special_tokens?: unknown } | undefined)?.additional_special_tokens),
  ].filter((t) => /^<extra_id_\d+>$/.test(tokenContent(t) ?? ''));
  return listed.length > 0 ? new Set(listed.map(tokenContent)).size : 100;
}

export function tokenizerFromFiles(files: TokenizerFiles): UnigramTokenizer {
  const json = asObject(files.tokenizerJson, 'tokenizer.json');
  const config = files.tokenizerConfig === undefined ? {} : asObject(files.tokenizerConfig, 'tokenizer_config.json');
  const specialMap = files.specialTokensMap === undefined ? {} : asObject(files.specialTokensMap, 'special_tokens_map.json');

  const model = buildModel(json.model);
  const normalizer = buildNormalizer(json.normalizer as NormalizerJson | null | undefined);
  const preTokenizer = buildPreTokenizer(json.pre_tokenizer as PreTokenizerJson | null | undefined);
  const postProcessor = buildPostProcessor(json.post_processor as Parameters<typeof buildPostProcessor>[0]);

  // Special tokens: special_tokens_map.json wins over tokenizer_config.json (transformers loads
  // it last); T5's own defaults otherwise.
  const specialName = (key: string, fallback: string | null): string | null =>
    tokenContent(specialMap[key]) ?? tokenContent(config[key]) ?? fallback;
  const padToken = specialName('pad_token', '<pad>');
  const eosToken = specialName('eos_token', '</s>');
  const unkToken = specialName('unk_token', '<unk>');

  // Added tokens: tokenizer.json's list, then tokenizer_config.json's `added_tokens_decoder`
  // (transformers re-adds those, and their flags replace the ones stored for the same id), then
  // special tokens named only by string.
  const declared: Omit<AddedToken, 'id'>[] = [];
  for (const raw of arrayOf(json.added_tokens)) declared.push(addedTokenFromJson(raw));
  const decoder = config.added_tokens_decoder;
  if (decoder && typeof decoder === 'object') {
    const entries = Object.entries(decoder as Record<string, unknown>).sort((a, b) => Number(a[0]) - Number(b[0]));
    for (const [, raw] of entries) declared.push(addedTokenFromJson(raw));
  }
  const known = new Set(declared.map((t) => t.content));
  const extraSpecials = [padToken, eosToken, unkToken, ...arrayOf(specialMap.additional_special_tokens ?? config.additional_special_tokens).map(tokenContent)];
  for (const content of extraSpecials) {
    if (content && !known.has(content)) {
      known.add(content);
      declared.push({ content, singleWord: false, lstrip: false, rstrip: false, normalized: false, special: true });
    }
  }
  const addedTokens = assignAddedTokenIds(declared, (c) => model.tokenToId(c), model.vocabSize);
  const addedVocabulary = new AddedVocabulary(addedTokens, normalizer);

  return new UnigramTokenizer({ model, normalizer, preTokenizer, addedVocabulary, postProcessor, padToken, eosToken, unkToken });
}

function buildModel(raw: unknown): UnigramModel {
  const model = asObject(raw, 'tokenizer.json "model"');
  if (model.type !== undefined && model.type !== 'Unigram') {
    throw new StudioError(
      'TOKENIZER_INVALID',
      `tokenizer.json holds a ${String(model.type)} model; this tokenizer reads SentencePiece Unigram models (T5/umt5). ` +
        'Use the tokenizer folder that ships with the model.',
    );
  }
  const vocab = arrayOf(model.vocab).map((entry, i) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
      throw new StudioError('TOKENIZER_INVALID', `tokenizer.json vocab entry ${i} is not [piece, score]. Re-download the tokenizer folder.`);
    }
    return [entry[0], entry[1]] as const;
  });
  const unkId = typeof model.unk_id === 'number' ? model.unk_id : null;
  return new UnigramModel({ vocab, unkId, byteFallback: model.byte_fallback === true });
}

function addedTokenFromJson(raw: unknown): Omit<AddedToken, 'id'> {
  const t = asObject(raw, 'an added token');
  if (typeof t.content !== 'string') {
    throw new StudioError('TOKENIZER_INVALID', `An added token has no content: ${JSON.stringify(raw)}. Re-download the tokenizer folder.`);
  }
  const special = t.special === true;
  return {
    content: t.content,
    singleWord: t.single_word === true,
    lstrip: t.lstrip === true,
    rstrip: t.rstrip === true,
    // HF's AddedToken default: normalized unless special.
    normalized: typeof t.normalized === 'boolean' ? t.normalized : !special,
    special,
  };
}

/** A special token is written either as a string or as `{"content": ..., ...}`. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return null;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new StudioError('TOKENIZER_INVALID', `${what} is not a JSON object. Re-download the tokenizer folder.`);
  }
  return value as Record<string, unknown>;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new StudioError('IO_FAILED', `Could not read ${path}. Check that the file exists and is readable.`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new StudioError('TOKENIZER_INVALID', `${path} is not valid JSON. Re-download the tokenizer folder.`, { cause });
  }
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new StudioError('IO_FAILED', `Could not read ${path}. Check that the file exists and is readable.`, { cause });
  }
}

function readJsonIfPresent(path: string): unknown {
  return existsSync(path) ? readJson(path) : undefined;
}
