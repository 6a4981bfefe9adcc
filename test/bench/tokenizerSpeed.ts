/**
 * Tokenizer speed on a umt5-sized vocabulary (256,300 pieces, synthetic): load time (parse +
 * piece index) and the time to tokenize prompts that fill 512 ids. Then the same prompts through
 * a real HF tokenizer folder (its precompiled nmt_nfkc normalizer included), by default the
 * reference fixture's. Run: npx tsx test/bench/tokenizerSpeed.ts [tokenizer folder]
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadTokenizerFromFolder, tokenizerFromFiles, type UnigramTokenizer } from '../../src/engine/tokenizer';
import { fixturesDir } from '../helpers/fixtures';

const PIECES = 256_300;
let seed = 12345;
const rand = (n: number): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const latin = 'abcdefghijklmnopqrstuvwxyz';
const vocab: [string, number][] = [['<pad>', 0], ['</s>', 0], ['<unk>', 0], ['▁', -3]];
const seen = new Set(vocab.map((v) => v[0]));
for (const ch of latin) {
  vocab.push([ch, -8], ['▁' + ch, -7]);
  seen.add(ch).add('▁' + ch);
}
for (let cp = 0x4e00; cp < 0x4e00 + 20000; cp++) vocab.push([String.fromCodePoint(cp), -9]);
while (vocab.length < PIECES) {
  let s = rand(3) === 0 ? '▁' : '';
  for (let k = 0, n = 2 + rand(8); k < n; k++) s += rand(5) === 0 ? String.fromCodePoint(0x4e00 + rand(20000)) : latin[rand(26)];
  if (!seen.has(s)) {
    seen.add(s);
    vocab.push([s, -5 - rand(1000) / 100]);
  }
}
const json = JSON.stringify({
  version: '1.0',
  added_tokens: [0, 1, 2].map((id) => ({ id, content: vocab[id][0], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
  normalizer: { type: 'Sequence', normalizers: [{ type: 'Strip', strip_left: false, strip_right: true }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '▁' }] },
  pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
  post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }], special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } } },
  model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
});

let t = performance.now();
const tokenizer = tokenizerFromFiles({ tokenizerJson: JSON.parse(json) });
console.log(`load ${PIECES} pieces (${(json.length / 1e6).toFixed(1)} MB JSON): ${(performance.now() - t).toFixed(0)} ms`);

const prompts = [
  'The quick brown fox jumps over the lazy dog. '.repeat(60),
  '森林 '.repeat(400),
  'a cozy living room with a fireplace and wooden floor',
];
function timePrompts(tok: UnigramTokenizer): void {
  for (const prompt of prompts) {
    tok.encodeFixedLength(prompt, { maxLength: 512 }); // warm up
    const runs = 50;
    const start = performance.now();
    let count = 0;
    for (let i = 0; i < runs; i++) count = tok.encodeFixedLength(prompt, { maxLength: 512 }).tokenCount;
    console.log(`  ${prompt.length} chars → ${count} ids: ${((performance.now() - start) / runs).toFixed(2)} ms per prompt`);
  }
}
timePrompts(tokenizer);

const folder = process.argv[2] ?? join(fixturesDir, 'tokenizer', 'plain');
t = performance.now();
const real = loadTokenizerFromFolder(folder);
console.log(`load ${folder}: ${(performance.now() - t).toFixed(0)} ms`);
timePrompts(real);
