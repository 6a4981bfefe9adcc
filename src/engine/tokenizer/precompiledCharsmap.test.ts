import { describe, expect, it } from 'vitest';
import { buildCharsmap } from '../../../test/helpers/charsmapBuilder';
import { PrecompiledCharsmap } from './precompiledCharsmap';

describe('PrecompiledCharsmap', () => {
  const charsmap = new PrecompiledCharsmap(
    buildCharsmap({
      'ﬁ': 'fi',
      '\u3000': ' ',
      'Ａ': 'A',
      '\u200b': '', // removed
      '\r': ' ',
      'e\u0301': 'é', // a two-code-point rule (NFC composition)
      '𝔾': 'G', // 4-byte key
      'ａｂ': 'XY', // multi-char rule whose first char has no rule of its own
    }),
  );

  it('finds rules in the double array and leaves other text alone', () => {
    expect(charsmap.transform('ﬁ')).toBe('fi');
    expect(charsmap.transform('𝔾')).toBe('G');
    expect(charsmap.transform('a')).toBeNull();
    expect(charsmap.transform('')).toBeNull();
    expect(charsmap.normalize('ﬁne\u3000Ａ𝔾')).toBe('fine AG');
  });

  it('deletes a character whose rule maps to the empty string', () => {
    expect(charsmap.normalize('zero\u200bwidth')).toBe('zerowidth');
  });

  it('replaces a whole short grapheme by the shortest rule matching its start (HF quirk)', () => {
    // "\r\n" is one grapheme; the rule for "\r" swallows the "\n" too, as in HF.
    expect(charsmap.normalize('a\r\nb')).toBe('a b');
    // A combining sequence is looked up whole first.
    expect(charsmap.normalize('e\u0301')).toBe('é');
  });

  it('falls back to code points when the grapheme has no rule', () => {
    // "x" + combining acute: no rule for the grapheme nor for either code point.
    expect(charsmap.normalize('x\u0301')).toBe('x\u0301');
    // Two graphemes: "ａ" alone has no rule, so the two-char rule never applies.
    expect(charsmap.normalize('ａｂ')).toBe('ａｂ');
  });

  it('looks up graphemes of 6 or more UTF-8 bytes code point by code point', () => {
    // "e" + two combining marks is 5 bytes: whole lookup matches the "e\u0301" prefix and HF
    // replaces the whole grapheme (dropping the second mark).
    expect(charsmap.normalize('e\u0301\u0301')).toBe('é');
    // Three marks make 7 bytes: per code point, nothing matches.
    expect(charsmap.normalize('e\u0301\u0301\u0301')).toBe('e\u0301\u0301\u0301');
  });

  it('rejects blobs that are truncated or not UTF-8', () => {
    expect(() => new PrecompiledCharsmap(new Uint8Array([1, 0]))).toThrow(/shorter than its 4-byte header/);
    expect(() => new PrecompiledCharsmap(new Uint8Array([16, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/claims 16 bytes/);
    expect(() => new PrecompiledCharsmap(new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, 0xff]))).toThrow(/not valid UTF-8/);
  });
});
