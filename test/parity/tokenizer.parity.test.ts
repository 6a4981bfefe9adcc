/**
 * Parity with HF: ids and attention masks that transformers' T5 fast tokenizer produced on the
 * GPU machine (tools/reference, sentencepiece-trained nmt_nfkc Unigram models converted to HF
 * folders), for every prompt of tools/reference/tokenizer_prompts.json, raw and with upstream's
 * "[Static] " prefix, at upstream's settings (padding="max_length", max_length=512,
 * truncation=True, add_special_tokens=True).
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTokenizerFromFolder, type UnigramTokenizer } from '../../src/engine/tokenizer';
import { tokenizeTextPrompt } from '../../src/engine/pipeline/textPrompt';
import { UPSTREAM_STATIC_PROMPT_PREFIX, UPSTREAM_TEXT_MAX_SEQUENCE_LENGTH } from '../../src/engine/pipeline/textPromptConstants';
import { fixtureExists, fixturesDir } from '../helpers/fixtures';

interface ReferenceCase {
  text: string;
  input_ids: number[];
  attention_mask: number[];
}

const present = fixtureExists('tokenizer/ids.json');

describe('tokenizer parity with HF tokenizers', () => {
  const reference = present
    ? (JSON.parse(readFileSync(join(fixturesDir, 'tokenizer', 'ids.json'), 'utf8')) as Record<string, ReferenceCase[]>)
    : {};

  /** Compares every reference case; returns the mismatches and prints the match count. */
  function compareAll(folder: string, tokenizer: UnigramTokenizer, label: string): string[] {
    const cases = reference[folder];
    const mismatches: string[] = [];
    for (const c of cases) {
      const enc = tokenizer.encodeFixedLength(c.text, { maxLength: UPSTREAM_TEXT_MAX_SEQUENCE_LENGTH });
      const ids = [...enc.inputIds];
      const mask = [...enc.attentionMask];
      const same =
        ids.length === c.input_ids.length &&
        ids.every((v, i) => v === c.input_ids[i]) &&
        mask.every((v, i) => v === c.attention_mask[i]);
      if (!same) {
        const at = ids.findIndex((v, i) => v !== c.input_ids[i] || mask[i] !== c.attention_mask[i]);
        const from = Math.max(0, at - 2);
        mismatches.push(
          `${JSON.stringify(c.text.slice(0, 60))}: first difference at ${at}: ours ${JSON.stringify(ids.slice(from, at + 6))}` +
            ` HF ${JSON.stringify(c.input_ids.slice(from, at + 6))}`,
        );
      }
    }
    console.log(`tokenizer parity (${label}): ${cases.length - mismatches.length}/${cases.length} prompts match HF exactly`);
    expect(cases.length).toBeGreaterThan(0);
    return mismatches;
  }

  for (const folder of Object.keys(reference)) {
    it(`gives HF's ids and masks for every prompt (${folder}, tokenizer.json)`, () => {
      const tokenizer = loadTokenizerFromFolder(join(fixturesDir, 'tokenizer', folder));
      expect(compareAll(folder, tokenizer, `${folder}, tokenizer.json`)).toEqual([]);
    });

    it(`gives the same ids from spiece.model alone (${folder})`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'spiece-only-'));
      for (const name of ['spiece.model', 'tokenizer_config.json']) copyFileSync(join(fixturesDir, 'tokenizer', folder, name), join(dir, name));
      const tokenizer = loadTokenizerFromFolder(dir);
      expect(compareAll(folder, tokenizer, `${folder}, spiece.model only`)).toEqual([]);
    });
  }

  it("tokenizeTextPrompt reproduces upstream's \"[Static] \" rows from the bare prompts", () => {
    const folder = Object.keys(reference)[0];
    const tokenizer = loadTokenizerFromFolder(join(fixturesDir, 'tokenizer', folder));
    const prefixed = reference[folder].filter((c) => c.text.startsWith(UPSTREAM_STATIC_PROMPT_PREFIX));
    expect(prefixed.length).toBeGreaterThan(0);
    for (const c of prefixed) {
      const enc = tokenizeTextPrompt(tokenizer, c.text.slice(UPSTREAM_STATIC_PROMPT_PREFIX.length));
      expect([...enc.inputIds], c.text).toEqual(c.input_ids);
      expect([...enc.attentionMask], c.text).toEqual(c.attention_mask);
    }
  });

  it('covers both reference folders (plain and byte-fallback)', () => {
    expect(Object.keys(reference).length).toBeGreaterThanOrEqual(2);
  });
});
