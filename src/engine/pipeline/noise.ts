/**
 * The Gaussian noise a generation draws, by purpose. Upstream draws everything with torch.randn in a
 * fixed order; we name each draw instead, so tests can inject upstream's recorded tensors
 * (tools/reference records them) and users get reproducible seeds.
 */

export type NoisePurpose =
  | { kind: 'image-latent' } // the image prompt's VAE sample
  | { kind: 'initial' } // the starting noisy latents
  | { kind: 'render-latents'; step: number } // VAE sample of step `step`'s renders (3D mode)
  | { kind: 'renoise'; step: number }; // re-noising after step `step`

export interface NoiseSource {
  /** Standard normal values, `count` of them, for `purpose`. */
  draw(purpose: NoisePurpose, count: number): Float32Array;
}

/**
 * A seeded standard-normal generator: xoshiro128** (fast, 2^128 period, good statistical quality)
 * with the Box–Muller transform. Same seed → same scene, on every platform.
 */
export class SeededNoise implements NoiseSource {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number) {
    // splitmix32 spreads the seed over the state so that nearby seeds give unrelated streams
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  private nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** uniform in (0, 1), never 0 (log(0) would be -Infinity) */
  private uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  private normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  draw(_purpose: NoisePurpose, count: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Noise given tensor by tensor (tests: upstream's recorded draws). */
export class InjectedNoise implements NoiseSource {
  constructor(private readonly byPurpose: (purpose: NoisePurpose) => Float32Array) {}

  draw(purpose: NoisePurpose, count: number): Float32Array {
    const t = this.byPurpose(purpose);
    if (t.length !== count) {
      throw new RangeError(`injected noise for ${JSON.stringify(purpose)} has ${t.length} values, expected ${count}`);
    }
    return t;
  }
}
