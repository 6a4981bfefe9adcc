import { describe, expect, it } from 'vitest';
import { UnigramModel } from './unigramModel';

const vocab: [string, number][] = [
  ['<pad>', 0],
  ['</s>', 0],
  ['<unk>', 0],
  ['▁', -2],
  ['▁a', -3],
  ['b', -4],
  ['▁ab', -6],
  ['c', -5],
  ['bc', -8.5],
  ['▁abc', -20],
];

describe('UnigramModel (Viterbi as HF encode_optimized)', () => {
  const model = new UnigramModel({ vocab, unkId: 2, byteFallback: false });

  it('picks the segmentation with the highest total score', () => {
    // ▁ab + c = -11 beats ▁a + bc = -11.5, ▁a + b + c = -12 and ▁abc = -20.
    expect(model.segment('▁abc')).toEqual(['▁ab', 'c']);
    expect(model.tokenize('▁abc')).toEqual([6, 7]);
  });

  it('keeps the earlier candidate on an exact tie', () => {
    const tie = new UnigramModel({
      vocab: [['<unk>', 0], ['a', -1], ['b', -1], ['ab', -2]],
      unkId: 0,
      byteFallback: false,
    });
    // Position 2 is first reached from position 0 by "ab" (-2); "a" + "b" (-2) arrives later
    // and HF replaces only on a strictly better score.
    expect(tie.segment('ab')).toEqual(['ab']);
  });

  it('scores an unknown character min_score - 10 and fuses consecutive unknowns', () => {
    // Each unknown char costs -30 (min -20, penalty 10); "xy" stays one fused token.
    expect(model.segment('▁xyb')).toEqual(['▁', 'xy', 'b']);
    expect(model.tokenize('▁xyb')).toEqual([3, 2, 5]);
    // A known multi-char piece still beats unknowns around it.
    expect(model.segment('x▁ax')).toEqual(['x', '▁a', 'x']);
  });

  it('prefers an unknown character over a worse path only through known pieces', () => {
    const m = new UnigramModel({ vocab: [['<unk>', 0], ['a', -1], ['b', -100]], unkId: 0, byteFallback: false });
    // unk score = -110, so "b" (-100) is still taken.
    expect(m.tokenize('ab')).toEqual([1, 2]);
  });

  it('treats a surrogate pair as one character', () => {
    expect(model.segment('😀😀b')).toEqual(['😀😀', 'b']);
  });

  it('falls back to byte pieces for unknown runs when byte_fallback is on', () => {
    const bytes: [string, number][] = [];
    for (let b = 0; b < 256; b++) bytes.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 0]);
    const m = new UnigramModel({ vocab: [['<unk>', 0], ...bytes, ['▁', -1], ['a', -2]], unkId: 0, byteFallback: true });
    const id = (b: number) => 1 + b;
    // "é" is C3 A9 in UTF-8; "😀" F0 9F 98 80. They sit next to each other, so they fuse first.
    expect(m.tokenize('▁éa😀')).toEqual([257, id(0xc3), id(0xa9), 258, id(0xf0), id(0x9f), id(0x98), id(0x80)]);
  });

  it('uses <unk> when byte_fallback lacks a byte piece', () => {
    const m = new UnigramModel({ vocab: [['<unk>', 0], ['<0xC3>', 0], ['a', -1]], unkId: 0, byteFallback: true });
    expect(m.tokenize('éa')).toEqual([0, 2]);
  });

  it('throws a StudioError on unknown text without an unk_id', () => {
    const m = new UnigramModel({ vocab: [['a', -1]], unkId: null, byteFallback: false });
    expect(m.tokenize('aa')).toEqual([0, 0]);
    expect(() => m.tokenize('ab')).toThrow(/no unk_id/);
  });

  it('rejects an unk_id outside the vocabulary', () => {
    expect(() => new UnigramModel({ vocab: [['a', -1]], unkId: 3, byteFallback: false })).toThrow(/outside the vocabulary/);
  });
});
