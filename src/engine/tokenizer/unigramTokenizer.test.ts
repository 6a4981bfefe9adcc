import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCharsmap } from '../../../test/helpers/charsmapBuilder';
import { tokenizeTextPrompt } from '../pipeline/textPrompt';
import { loadTokenizerFromFolder, tokenizerFromFiles } from './loadTokenizer';

/** A T5-shaped tokenizer.json (as transformers' converter writes it) over a tiny vocabulary. */
function t5TokenizerJson(extraPieces: [string, number][] = []) {
  const vocab: [string, number][] = [
    ['<pad>', 0],
    ['</s>', 0],
    ['<unk>', 0],
    ['▁', -2],
    ['▁a', -3],
    ['▁cat', -4],
    ['s', -3],
    ['▁the', -3.5],
    ['.', -3],
    ...extraPieces,
    ['<extra_id_1>', 0],
    ['<extra_id_0>', 0],
  ];
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<pad>'), special(1, '</s>'), special(2, '<unk>'), special(vocab.length - 2, '<extra_id_1>'), special(vocab.length - 1, '<extra_id_0>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Precompiled', precompiled_charsmap: Buffer.from(buildCharsmap({ 'Ｃ': 'c', '\t': ' ' })).toString('base64') },
        { type: 'Strip', strip_left: false, strip_right: true },
        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '▁' },
      ],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  };
}

describe('UnigramTokenizer (tokenizer.json pipeline)', () => {
  const tokenizer = tokenizerFromFiles({ tokenizerJson: t5TokenizerJson() });

  it('normalizes, pre-tokenizes, segments and appends </s>', () => {
    // "Ｃ" → "c" by the charsmap, tab → space, spaces → ▁ words.
    expect(tokenizer.encode('a Ｃats.\t')).toEqual([4, 5, 6, 8, 1]);
    // A character the vocabulary lacks becomes <unk>.
    expect(tokenizer.encode('a dog')).toEqual([4, 3, 2, 1]);
    expect(tokenizer.encode('the cats.')).toEqual([7, 5, 6, 8, 1]);
    expect(tokenizer.encode('the cats.', { addSpecialTokens: false })).toEqual([7, 5, 6, 8]);
  });

  it('collapses runs of spaces into one ▁ word like the T5 converter', () => {
    // "the   cat" → "the▁cat" → ["▁the", "▁cat"]; a single leading space still gives one ▁.
    expect(tokenizer.encode('the   cat')).toEqual([7, 5, 1]);
    expect(tokenizer.encode('   the cat')).toEqual([7, 5, 1]);
  });

  it('keeps special tokens written in the text as their ids', () => {
    expect(tokenizer.encode('cat</s><extra_id_0> cat')).toEqual([5, 1, 10, 5, 1]);
    expect(tokenizer.tokenToId('<extra_id_1>')).toBe(9);
  });

  it('encodes the empty string as </s> alone', () => {
    expect(tokenizer.encode('')).toEqual([1]);
    expect(tokenizer.encode('   ')).toEqual([1]);
  });

  it('pads to max_length with <pad> and a zero mask', () => {
    const enc = tokenizer.encodeFixedLength('the cat', { maxLength: 6 });
    expect([...enc.inputIds]).toEqual([7, 5, 1, 0, 0, 0]);
    expect([...enc.attentionMask]).toEqual([1, 1, 1, 0, 0, 0]);
    expect(enc.tokenCount).toBe(3);
  });

  it('truncates the text and keeps room for </s>', () => {
    const enc = tokenizer.encodeFixedLength('the cat the cat the cat', { maxLength: 4 });
    expect([...enc.inputIds]).toEqual([7, 5, 7, 1]);
    expect([...enc.attentionMask]).toEqual([1, 1, 1, 1]);
    const bare = tokenizer.encodeFixedLength('the cat the cat', { maxLength: 3, addSpecialTokens: false });
    expect([...bare.inputIds]).toEqual([7, 5, 7]);
    expect(() => tokenizer.encodeFixedLength('x', { maxLength: 0 })).toThrow(/positive integer/);
  });

  it('loads a tokenizer folder and names its pad/eos/unk ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(t5TokenizerJson()));
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ eos_token: '</s>', pad_token: { content: '<pad>' }, unk_token: '<unk>' }));
    const loaded = loadTokenizerFromFolder(dir);
    expect([loaded.padTokenId, loaded.eosTokenId, loaded.unkTokenId]).toEqual([0, 1, 2]);
    expect(loaded.encode('the cat')).toEqual([7, 5, 1]);
  });

  it('explains a folder without tokenizer files, or with a broken spiece.model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tok-'));
    expect(() => loadTokenizerFromFolder(dir)).toThrow(/Neither tokenizer.json nor spiece.model/);
    writeFileSync(join(dir, 'spiece.model'), '');
    expect(() => loadTokenizerFromFolder(dir)).toThrow(/spiece.model is unreadable: it holds no pieces/);
    writeFileSync(join(dir, 'spiece.model'), Buffer.from([0x0a, 0x7f, 0x01]));
    expect(() => loadTokenizerFromFolder(dir)).toThrow(/runs past the end/);
  });

  it("tokenizes a prompt as upstream's encode_text does: [Static] prefix, 512 ids", () => {
    const withStatic = tokenizerFromFiles({ tokenizerJson: t5TokenizerJson([['▁[', -3], ['Static', -3], [']', -3]]) });
    const enc = tokenizeTextPrompt(withStatic, 'the cat');
    expect(enc.inputIds.length).toBe(512);
    expect([...enc.inputIds.slice(0, 7)]).toEqual([9, 10, 11, 7, 5, 1, 0]);
    expect(enc.tokenCount).toBe(6);
  });
});
