import { describe, expect, it } from 'vitest';
import { AddedVocabulary, assignAddedTokenIds, type AddedToken } from './addedVocabulary';

function token(id: number, content: string, flags: Partial<AddedToken> = {}): AddedToken {
  return { id, content, singleWord: false, lstrip: false, rstrip: false, normalized: false, special: true, ...flags };
}

describe('AddedVocabulary', () => {
  it('cuts special tokens out of raw text, leftmost-longest', () => {
    const vocab = new AddedVocabulary([token(1, '</s>'), token(10, '<extra_id_1>'), token(11, '<extra_id_10>')], null);
    expect(vocab.extractAndNormalize('a</s>b<extra_id_10><extra_id_1>', null)).toEqual([
      { text: 'a', atInputStart: true },
      { tokenId: 1 },
      { text: 'b', atInputStart: false },
      { tokenId: 11 },
      { tokenId: 10 },
    ]);
  });

  it('normalizes only the text between raw-matched tokens', () => {
    const vocab = new AddedVocabulary([token(1, '</s>')], null);
    const upper = (t: string) => t.toUpperCase();
    expect(vocab.extractAndNormalize('x</s>y', upper)).toEqual([
      { text: 'X', atInputStart: true },
      { tokenId: 1 },
      { text: 'Y', atInputStart: false },
    ]);
  });

  it('matches normalized tokens by their normalized form after normalization', () => {
    const lower = (t: string) => t.toLowerCase();
    const vocab = new AddedVocabulary([token(5, 'HeLLo', { normalized: true, special: false })], lower);
    expect(vocab.extractAndNormalize('say HELLO', lower)).toEqual([{ text: 'say ', atInputStart: true }, { tokenId: 5 }]);
  });

  it('absorbs spaces with lstrip/rstrip and honours single_word', () => {
    const vocab = new AddedVocabulary(
      [token(7, '<mask>', { lstrip: true, rstrip: true }), token(8, 'cat', { singleWord: true, normalized: false })],
      null,
    );
    expect(vocab.extractAndNormalize('a  <mask>  b', null)).toEqual([
      { text: 'a', atInputStart: true },
      { tokenId: 7 },
      { text: 'b', atInputStart: false },
    ]);
    expect(vocab.extractAndNormalize('cat concat cat.', null)).toEqual([
      { tokenId: 8 },
      { text: ' concat ', atInputStart: false },
      { tokenId: 8 },
      { text: '.', atInputStart: false },
    ]);
  });

  it('assigns ids from the model vocabulary, else after it', () => {
    const model = new Map([['</s>', 1], ['<pad>', 0]]);
    const ids = assignAddedTokenIds(
      [token(-1, '<pad>'), token(-1, '</s>'), token(-1, '<new>'), token(-1, '<newer>'), token(-1, '<new>', { lstrip: true })],
      (c) => model.get(c),
      100,
    );
    expect(ids.map((t) => [t.content, t.id])).toEqual([['<pad>', 0], ['</s>', 1], ['<new>', 100], ['<newer>', 101], ['<new>', 100]]);
  });
});
