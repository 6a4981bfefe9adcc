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

  it('segments exactly as a whole-text grapheme walk does (ASCII fast path included)', () => {
    // HF's algorithm spelled out over Intl.Segmenter on the whole text.
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const utf8 = new TextEncoder();
    const reference = (text: string): string => {
      let out = '';
      for (const { segment } of segmenter.segment(text)) {
        const whole = utf8.encode(segment).length < 6 ? charsmap.transform(segment) : null;
        if (whole !== null) out += whole;
        else for (const ch of segment) out += charsmap.transform(ch) ?? ch;
      }
      return out;
    };
    const alphabet = ['a', 'e', ' ', '\r', '\n', '\r\n', '\u0301', '\u200d', 'ﬁ', 'Ａ', 'ａ', 'ｂ', '\u0600', '🇫', '🇷', '👍', '🏽', '#', '\ufe0f', '\u20e3', '𝔾', '\u3000', 'क', '\u094d', 'ष'];
    let seed = 3;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let trial = 0; trial < 300; trial++) {
      let text = '';
      for (let k = 0, n = rand(24); k < n; k++) text += alphabet[rand(alphabet.length)];
      expect(charsmap.normalize(text), JSON.stringify(text)).toBe(reference(text));
    }
  });

  it('rejects blobs that are truncated or not UTF-8', () => {
    expect(() => new PrecompiledCharsmap(new Uint8Array([1, 0]))).toThrow(/shorter than its 4-byte header/);
    expect(() => new PrecompiledCharsmap(new Uint8Array([16, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/claims 16 bytes/);
    expect(() => new PrecompiledCharsmap(new Uint8Array([4, 0, 0, 0, 0, 0, 0, 0, 0xff]))).toThrow(/not valid UTF-8/);
  });
});
