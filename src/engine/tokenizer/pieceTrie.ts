/**
 * Prefix lookup over a SentencePiece vocabulary (up to a few hundred thousand pieces).
 *
 * HF `tokenizers` walks a byte trie from every position of the sentence and collects every piece
 * that starts there, shortest first (models/unigram/trie.rs). We get the same answers without
 * building one node per character: the pieces are sorted once by UTF-16 code units, and a search
 * narrows the range of pieces sharing the prefix read so far, one code unit at a time (two binary
 * searches per step). Loading the 256k-piece umt5 vocabulary costs one sort; lookups allocate
 * nothing.
 *
 * Comparing UTF-16 code units instead of UTF-8 bytes gives the same set of matches: both are
 * exact-prefix tests on the same strings, and a match always ends on a code point boundary
 * because pieces are well-formed strings.
 */
export class PieceTrie {
  /** Distinct piece strings, sorted by code units. */
  private readonly keys: string[];
  /** Id of keys[i]. */
  private readonly ids: Int32Array;

  /**
   * @param pieces `[piece, id]` pairs (a Map works as is). When one string appears twice the later
   *   pair wins, as the `token_to_ids` map in HF's Unigram model does.
   */
  constructor(pieces: Iterable<readonly [string, number]>) {
    const idByPiece = pieces instanceof Map ? (pieces as Map<string, number>) : new Map(pieces);
    const keys: string[] = [];
    for (const piece of idByPiece.keys()) if (piece.length > 0) keys.push(piece);
    // The default sort compares UTF-16 code units, the order lookups rely on.
    this.keys = keys.sort();
    this.ids = new Int32Array(keys.length);
    for (let i = 0; i < keys.length; i++) this.ids[i] = idByPiece.get(keys[i])!;
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * Calls `onMatch(end, id)` for every piece equal to `text.slice(start, end)`, in increasing
   * `end` order (shortest piece first, as HF's trie iterator yields them).
   */
  commonPrefixSearch(text: string, start: number, onMatch: (end: number, id: number) => void): void {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    for (let depth = 0; start + depth < text.length && lo < hi; depth++) {
      const unit = text.charCodeAt(start + depth);
      // Inside [lo, hi) every key shares the first `depth` units; the one of exactly that length
      // (if any) sorts first, then the rest ordered by their unit at `depth`.
      lo = lowerBound(keys, lo, hi, depth, unit);
      hi = lowerBound(keys, lo, hi, depth, unit + 1);
      if (lo < hi && keys[lo].length === depth + 1) onMatch(start + depth + 1, this.ids[lo]);
    }
  }
}

/** First index in [lo, hi) whose unit at `depth` is ≥ `unit` (a key ending before `depth` counts as -1). */
function lowerBound(keys: string[], lo: number, hi: number, depth: number, unit: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const key = keys[mid];
    const u = depth < key.length ? key.charCodeAt(depth) : -1;
    if (u < unit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
