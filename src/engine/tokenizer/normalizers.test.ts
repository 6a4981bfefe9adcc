import { describe, expect, it } from 'vitest';
import { buildCharsmap } from '../../../test/helpers/charsmapBuilder';
import { buildNormalizer } from './normalizers';

describe('normalizers from tokenizer.json', () => {
  it('runs the T5 converter chain: Precompiled, right Strip, runs of spaces → ▁', () => {
    const normalize = buildNormalizer({
      type: 'Sequence',
      normalizers: [
        { type: 'Precompiled', precompiled_charsmap: Buffer.from(buildCharsmap({ '\t': ' ', 'Ａ': 'A' })).toString('base64') },
        { type: 'Strip', strip_left: false, strip_right: true },
        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '▁' },
      ],
    })!;
    expect(normalize('  Ａ\t\tb  c d  ')).toBe('▁A▁b▁c d');
  });

  it('strips Unicode White_Space (not U+FEFF, unlike JS \\s)', () => {
    const strip = buildNormalizer({ type: 'Strip', strip_left: true, strip_right: true })!;
    expect(strip('\u3000\u00a0x\n')).toBe('x');
    expect(strip('\ufeffx')).toBe('\ufeffx');
  });

  it('replaces literal strings, prepends, lowercases char by char, applies NFKC and Nmt', () => {
    expect(buildNormalizer({ type: 'Replace', pattern: { String: "''" }, content: '"' })!("a ''b''")).toBe('a "b"');
    expect(buildNormalizer({ type: 'Prepend', prepend: '▁' })!('x')).toBe('▁x');
    expect(buildNormalizer({ type: 'Prepend', prepend: '▁' })!('')).toBe('');
    // Per-char lowercase: a word-final Σ becomes σ, not ς (HF maps chars one by one).
    expect(buildNormalizer({ type: 'Lowercase' })!('ΟΔΟΣ')).toBe('οδοσ');
    expect(buildNormalizer({ type: 'NFKC' })!('ﬁ①')).toBe('fi1');
    expect(buildNormalizer({ type: 'Nmt' })!('a\u0001b\tc\u200bd')).toBe('ab c d');
  });

  it('has no normalizer for null and refuses unknown types', () => {
    expect(buildNormalizer(null)).toBeNull();
    expect(() => buildNormalizer({ type: 'ByteLevel' })).toThrow(/ByteLevel/);
  });
});
