/**
 * Helpers shared by every WeightSource: the missing-tensor error and a prefix view (one network's
 * weights out of a file that holds several, e.g. `transformer.` in FlashWorld's model.ckpt).
 */
import { StudioError } from '../../shared/errors';
import type { FloatTensor, WeightInfo, WeightSource } from './types';

/** Up to three keys that share the most trailing dotted parts with `name`: helps spot prefix mix-ups. */
function similarKeys(name: string, keys: string[]): string[] {
  const parts = name.split('.');
  const score = (k: string): number => {
    const kp = k.split('.');
    let s = 0;
    while (s < parts.length && s < kp.length && parts[parts.length - 1 - s] === kp[kp.length - 1 - s]) s++;
    return s;
  };
  return keys
    .map((k) => ({ k, s: score(k) }))
    .filter((e) => e.s > 0)
    .sort((a, b) => b.s - a.s)
    .slice(0, 3)
    .map((e) => e.k);
}

export function missingTensorError(origin: string, name: string, keys: string[]): StudioError {
  const near = similarKeys(name, keys);
  const hint = near.length ? ` Similar names present: ${near.map((k) => `"${k}"`).join(', ')}.` : '';
  return new StudioError(
    'WEIGHTS_MISSING_TENSOR',
    `Tensor "${name}" is not in ${origin} (${keys.length} tensors there).${hint} ` +
      'The weights may be incomplete or from a different model version: re-download them.',
  );
}

/** A view of `source` holding only keys that start with `prefix`, with the prefix removed. */
export function withPrefix(source: WeightSource, prefix: string): WeightSource {
  const keys = source.keys().filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  const keySet = new Set(keys);
  const origin = prefix ? `${source.origin} (keys under "${prefix}")` : source.origin;
  const check = (name: string): void => {
    if (!keySet.has(name)) throw missingTensorError(origin, name, keys);
  };
  return {
    origin,
    keys: () => keys.slice(),
    has: (name) => keySet.has(name),
    info(name): WeightInfo {
      check(name);
      return { ...source.info(prefix + name), name };
    },
    read(name, as): FloatTensor {
      check(name);
      return source.read(prefix + name, as);
    },
    close: () => source.close(),
  };
}
