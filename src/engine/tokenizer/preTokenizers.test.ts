import { describe, expect, it } from 'vitest';
import { buildPreTokenizer, metaspace, metaspaceOptionsFromJson, type TextSplit } from './preTokenizers';

const texts = (splits: TextSplit[]) => splits.map((s) => s.text);

describe('Metaspace pre-tokenizer', () => {
  const always = metaspace({ replacement: '▁', prependScheme: 'always', split: true });

  it('replaces spaces, prepends ▁ and starts a word at every ▁', () => {
    expect(texts(always([{ text: 'Hey  friend', atInputStart: true }]))).toEqual(['▁Hey', '▁', '▁friend']);
    expect(texts(always([{ text: '▁already', atInputStart: true }]))).toEqual(['▁already']);
    expect(texts(always([{ text: 'a▁b', atInputStart: false }]))).toEqual(['▁a', '▁b']);
  });

  it('prepends only at the start of the input with "first"', () => {
    const first = metaspace({ replacement: '▁', prependScheme: 'first', split: true });
    expect(texts(first([{ text: 'hi there', atInputStart: true }]))).toEqual(['▁hi', '▁there']);
    // A split after an added token does not start the input.
    expect(texts(first([{ text: 'hi there', atInputStart: false }]))).toEqual(['hi', '▁there']);
  });

  it('never prepends with "never", and keeps one split without `split`', () => {
    const never = metaspace({ replacement: '▁', prependScheme: 'never', split: true });
    expect(texts(never([{ text: 'a b', atInputStart: true }]))).toEqual(['a', '▁b']);
    const whole = metaspace({ replacement: '▁', prependScheme: 'always', split: false });
    expect(texts(whole([{ text: 'a b', atInputStart: true }]))).toEqual(['▁a▁b']);
  });

  it('drops empty splits', () => {
    expect(always([{ text: '', atInputStart: true }])).toEqual([]);
  });

  it('reads tokenizer.json options with HF defaults and legacy add_prefix_space', () => {
    expect(metaspaceOptionsFromJson({ replacement: '▁' })).toEqual({ replacement: '▁', prependScheme: 'always', split: true });
    expect(metaspaceOptionsFromJson({ replacement: '▁', add_prefix_space: false, prepend_scheme: 'always' }).prependScheme).toBe('never');
    expect(() => metaspaceOptionsFromJson({ replacement: '▁', prepend_scheme: 'sometimes' })).toThrow(/prepend_scheme/);
  });
});

describe('Sequence and WhitespaceSplit', () => {
  it('runs the listed pre-tokenizers in order', () => {
    const pre = buildPreTokenizer({
      type: 'Sequence',
      pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true }],
    })!;
    const out = pre([{ text: '  two\u3000words ', atInputStart: true }]);
    // The first word does not begin the input (leading spaces), so "first" does not prepend.
    expect(texts(out)).toEqual(['two', 'words']);
    expect(texts(pre([{ text: 'two\u3000words', atInputStart: true }]))).toEqual(['▁two', 'words']);
  });

  it('refuses pre-tokenizers it does not implement', () => {
    expect(() => buildPreTokenizer({ type: 'ByteLevel' })).toThrow(/ByteLevel/);
  });
});
