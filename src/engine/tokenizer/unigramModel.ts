/**
 * The SentencePiece Unigram model as HF `tokenizers` runs it (models/unigram/model.rs,
 * `encode_optimized` + `tokenize`): Viterbi over every vocabulary piece that matches at each
 * position, an unknown-character node where no single-character piece exists, consecutive
 * unknowns fused into one token, and optional byte fallback to `<0xNN>` pieces.
 */
import { StudioError } from '../../shared/errors';
import { PieceTrie } from './pieceTrie';

/** HF's `K_UNK_PENALTY`: an unknown character scores this much below the worst piece. */
const UNKNOWN_PENALTY = 10.0;

export interface UnigramModelSpec {
  /** `[piece, score]` in id order. */
  vocab: ReadonlyArray<readonly [string, number]>;
  unkId: number | null;
  byteFallback: boolean;
}

export class UnigramModel {
  readonly vocabSize: number;
  readonly unkId: number | null;
  readonly byteFallback: boolean;
  private readonly pieces: string[];
  private readonly scores: Float64Array;
  private readonly idByPiece: Map<string, number>;
  private readonly trie: PieceTrie;
  private readonly unknownScore: number;
  /** Ids of `<0x00>`…`<0xFF>`, or -1 where the vocabulary lacks one. */
  private readonly byteIds: Int32Array;
  /** HF keeps `fuse_unk` on for every Unigram model it builds. */
  private readonly fuseUnknown = true;

  constructor(spec: UnigramModelSpec) {
    const n = spec.vocab.length;
    if (spec.unkId !== null) {
      if (n === 0) throw invalid('the Unigram vocabulary is empty but an unk_id is set');
      if (!Number.isInteger(spec.unkId) || spec.unkId < 0 || spec.unkId >= n) {
        throw invalid(`unk_id ${spec.unkId} is outside the vocabulary of ${n} pieces`);
      }
    }
    this.vocabSize = n;
    this.unkId = spec.unkId;
    this.byteFallback = spec.byteFallback;
    this.pieces = new Array<string>(n);
    this.scores = new Float64Array(n);
    this.idByPiece = new Map();
    let minScore = Infinity;
    for (let id = 0; id < n; id++) {
      const [piece, score] = spec.vocab[id];
      this.pieces[id] = piece;
      this.scores[id] = score;
      this.idByPiece.set(piece, id);
      if (score < minScore) minScore = score;
    }
    this.unknownScore = minScore - UNKNOWN_PENALTY;
    this.trie = new PieceTrie(this.idByPiece);
    this.byteIds = new Int32Array(256).fill(-1);
    for (let b = 0; b < 256; b++) {
      const id = this.idByPiece.get(bytePiece(b));
      if (id !== undefined) this.byteIds[b] = id;
    }
  }

  tokenToId(piece: string): number | undefined {
    return this.idByPiece.get(piece);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id];
  }

  /** Ids for one pre-tokenized word (already normalized, `▁`-prefixed as the pre-tokenizer left it). */
  tokenize(word: string, out: number[] = []): number[] {
    for (const piece of this.segment(word)) {
      const id = this.idByPiece.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      // Only fused unknown runs reach here. Byte fallback applies when every byte has a piece.
      if (this.byteFallback) {
        const bytes = utf8.encode(piece);
        let all = true;
        for (const b of bytes) if (this.byteIds[b] < 0) all = false;
        if (all) {
          for (const b of bytes) out.push(this.byteIds[b]);
          continue;
        }
      }
      out.push(this.requireUnkId());
    }
    return out;
  }

  /** The best segmentation as piece strings (unknown runs fused), like HF `Unigram::encode`. */
  segment(sentence: string): string[] {
    const size = sentence.length;
    if (size === 0) return [];
    // best*[end]: best path reaching code-unit position `end`.
    const bestScore = new Float64Array(size + 1);
    const bestStart = new Int32Array(size + 1).fill(-1);
    const bestId = new Int32Array(size + 1);
    const unknownScore = this.unknownScore;
    const scores = this.scores;

    let startsAt = 0;
    while (startsAt < size) {
      const scoreTillHere = bestScore[startsAt];
      const charLength = codePointLength(sentence, startsAt);
      let hasSingleCharPiece = false;
      this.trie.commonPrefixSearch(sentence, startsAt, (end, id) => {
        const candidate = scores[id] + scoreTillHere;
        // Strictly greater: on a tie the earlier candidate (shorter start, shorter piece) stays.
        if (bestStart[end] < 0 || candidate > bestScore[end]) {
          bestScore[end] = candidate;
          bestStart[end] = startsAt;
          bestId[end] = id;
        }
        if (end - startsAt === charLength) hasSingleCharPiece = true;
      });
      if (!hasSingleCharPiece) {
        const end = startsAt + charLength;
        const candidate = unknownScore + scoreTillHere;
        if (bestStart[end] < 0 || candidate > bestScore[end]) {
          bestScore[end] = candidate;
          bestStart[end] = startsAt;
          bestId[end] = this.requireUnkId();
        }
      }
      startsAt += charLength;
    }

    const reversed: string[] = [];
    let unknownRunStart = -1;
    let unknownRunEnd = -1;
    for (let end = size; end > 0; ) {
      const start = bestStart[end];
      if (this.fuseUnknown && bestId[end] === this.unkId) {
        if (unknownRunEnd < 0) unknownRunEnd = end;
        unknownRunStart = start;
      } else {
        if (unknownRunEnd >= 0) {
          reversed.push(sentence.slice(unknownRunStart, unknownRunEnd));
          unknownRunEnd = -1;
        }
        reversed.push(sentence.slice(start, end));
      }
      end = start;
    }
    if (unknownRunEnd >= 0) reversed.push(sentence.slice(unknownRunStart, unknownRunEnd));
    return reversed.reverse();
  }

  private requireUnkId(): number {
    if (this.unkId === null) {
      throw invalid('the text has a character the vocabulary lacks, and the model has no unk_id');
    }
    return this.unkId;
  }
}

const utf8 = new TextEncoder();

function bytePiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

function codePointLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

function invalid(what: string): StudioError {
  return new StudioError('TOKENIZER_INVALID', `Tokenizer model is unusable: ${what}. Use the tokenizer folder that ships with the model.`);
}
