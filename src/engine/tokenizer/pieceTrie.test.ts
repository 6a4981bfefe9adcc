import { describe, expect, it } from 'vitest';
import { PieceTrie } from './pieceTrie';

function matches(trie: PieceTrie, text: string, start: number): [string, number][] {
  const out: [string, number][] = [];
  trie.commonPrefixSearch(text, start, (end, id) => out.push([text.slice(start, end), id]));
  return out;
}

describe('PieceTrie', () => {
  const trie = new PieceTrie([
    ['▁', 0],
    ['▁a', 1],
    ['▁ab', 2],
    ['▁abc', 3],
    ['b', 4],
    ['bc', 5],
    ['▁b', 6],
    ['😀', 7],
    ['😀x', 8],
    ['ab', 9],
  ]);

  it('lists every piece that prefixes the text at a position, shortest first', () => {
    expect(matches(trie, '▁abcd', 0)).toEqual([['▁', 0], ['▁a', 1], ['▁ab', 2], ['▁abc', 3]]);
    expect(matches(trie, '▁abcd', 2)).toEqual([['b', 4], ['bc', 5]]);
    expect(matches(trie, '▁abcd', 4)).toEqual([]);
    expect(matches(trie, 'x😀xy', 1)).toEqual([['😀', 7], ['😀x', 8]]);
  });

  it('stops at the end of the text', () => {
    expect(matches(trie, '▁ab', 0)).toEqual([['▁', 0], ['▁a', 1], ['▁ab', 2]]);
    expect(matches(trie, '', 0)).toEqual([]);
  });

  it('keeps the last id of a repeated piece, like HF token_to_ids', () => {
    const dup = new PieceTrie([['a', 0], ['a', 5]]);
    expect(dup.size).toBe(1);
    expect(matches(dup, 'a', 0)).toEqual([['a', 5]]);
  });

  it('agrees with a brute-force scan on a larger random vocabulary', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const alphabet = ['a', 'b', 'c', '▁', 'é', '😀'];
    const pieces: [string, number][] = [];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      for (let k = 0, n = 1 + rand(6); k < n; k++) s += alphabet[rand(alphabet.length)];
      pieces.push([s, i]);
    }
    const big = new PieceTrie(pieces);
    const idOf = new Map(pieces);
    let text = '';
    for (let k = 0; k < 200; k++) text += alphabet[rand(alphabet.length)];
    for (let start = 0; start < text.length; start++) {
      const expected: [string, number][] = [];
      for (let end = start + 1; end <= text.length; end++) {
        const id = idOf.get(text.slice(start, end));
        if (id !== undefined) expected.push([text.slice(start, end), id]);
      }
      expect(matches(big, text, start)).toEqual(expected);
    }
  });
});
