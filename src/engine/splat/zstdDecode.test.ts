import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ZstdError, zstdDecodeTS } from './zstdDecode';
import { packSpz } from './spzPack';
import { randomSplatSet, seededRandom } from '../../../test/helpers/randomSplats';

/** Text with repeats (sequences, repeat offsets) and a skewed alphabet (Huffman literals). */
const SAMPLE = Array.from({ length: 120 }, (_, i) => `splat ${(i * i) % 31} ${['red', 'green', 'blue'][i % 3]}${i % 5 === 0 ? ' opaque' : ''}`).join('\n');
/** `zstd -19` of SAMPLE (zstd 1.5.4), so the decoder is tested even where the zstd CLI is absent. */
const SAMPLE_ZSTD_19 =
  'KLUv/WT+BWUIAOKGExGg7fBbr930H6siRYDk2XsqBldRxrkQ3es2KV9ecRWFuQtp3dY3KecdF/oyztyF9OqKd+vFdXvJm3lHWScIlhJU4SDNZ1wLKMGgQZrlYmGoMc0clr0DoCwSKtsGEkAgIAiCEKDQQFawlEOCZRlFomssdPmMierHK7eYVeYDuc7USl7jSg/TA9fgRWSfy3pA9LKQ4WAj6Klpw8jCPNxXDJ1B2RLXFRUo8eG2IyJMRaxzahssX9ZSsBWYgYBlFGwQLneYir+lNWVM2Opiks7CyRfsByteI8c6KhMlM+pelVGWWo8rLO/HD7VLXBy3+dyskbjeVrozxPFC7LuAq7p8hIDIRfEP8dXGFFXAqe15';

function zstdCli(): ((data: Uint8Array, level: string[]) => Uint8Array) | null {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return (data, level) => execFileSync('zstd', ['-q', '-c', ...level], { input: data, maxBuffer: 1 << 30 });
}

describe('zstdDecodeTS', () => {
  it('decodes a frame made by the reference zstd (embedded)', () => {
    const input = Buffer.from(SAMPLE, 'latin1');
    const out = zstdDecodeTS(Buffer.from(SAMPLE_ZSTD_19, 'base64'), input.length);
    expect(Buffer.from(out).equals(input)).toBe(true);
  });

  const cli = zstdCli();
  if (!cli) console.log('zstd CLI not installed: only the embedded frame is tested');
  it.skipIf(!cli)('decodes what the zstd CLI writes at every kind of level, for SPZ streams and other data', () => {
    const rand = seededRandom(9);
    const p = packSpz(randomSplatSet(50_000, 3));
    const noise = Uint8Array.from({ length: 100_000 }, () => (rand() * 256) | 0);
    const skewed = Uint8Array.from({ length: 200_000 }, (_, i) => (rand() < 0.9 ? i % 7 : (rand() * 256) | 0));
    const inputs: [string, Uint8Array][] = [
      ['positions', p.positions], ['alphas', p.alphas], ['colors', p.colors], ['scales', p.scales], ['rotations', p.rotations], ['sh', p.sh],
      ['empty', new Uint8Array(0)], ['three bytes', Uint8Array.of(1, 2, 3)], ['zeros', new Uint8Array(700_000)], ['noise', noise], ['skewed', skewed],
      ['text', Buffer.from(SAMPLE.repeat(50), 'latin1')],
    ];
    let checked = 0;
    for (const level of [['-1'], ['-5'], ['-12'], ['-19'], ['--ultra', '-22'], ['--fast=5']]) {
      for (const [name, data] of inputs) {
        const out = zstdDecodeTS(cli!(data, level), data.length);
        expect(Buffer.from(out).equals(Buffer.from(data)), `${name} at ${level.join(' ')}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(72);
  });

  it('rejects damaged data with ZstdError', () => {
    const good = Buffer.from(SAMPLE_ZSTD_19, 'base64');
    expect(() => zstdDecodeTS(good, SAMPLE.length + 1)).toThrow(/decoded 1790 bytes, expected 1791|runs past/);
    expect(() => zstdDecodeTS(good.subarray(0, good.length - 20), SAMPLE.length)).toThrow(ZstdError);
    const badMagic = Buffer.from(good); badMagic[0] ^= 0xff;
    expect(() => zstdDecodeTS(badMagic, SAMPLE.length)).toThrow(/bad frame magic/);
    // Flipping bits inside the compressed block (not the unverified 4-byte checksum at the end)
    // must never decode silently to the right bytes.
    let rejected = 0;
    for (let i = 12; i < good.length - 4; i += 7) {
      const flipped = Buffer.from(good); flipped[i] ^= 0x5a;
      try {
        const out = zstdDecodeTS(flipped, SAMPLE.length);
        expect(Buffer.from(out).equals(Buffer.from(SAMPLE, 'latin1'))).toBe(false);
      } catch (e) {
        expect(e).toBeInstanceOf(ZstdError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});
