/**
 * Fallback for a tokenizer folder that has only `spiece.model`: reads the SentencePiece ModelProto
 * (protobuf) and describes the same tokenizer transformers' T5 conversion writes to tokenizer.json
 * (precompiled normalizer; WhitespaceSplit + Metaspace; Unigram over the pieces with
 * `<extra_id_N>` appended in reverse order; control, unknown and user-defined pieces as added
 * tokens; `$A </s>`).
 *
 * Fields read (sentencepiece_model.proto): ModelProto.pieces = 1 {piece = 1, score = 2 (float),
 * type = 3}, trainer_spec = 2 {model_type = 3, byte_fallback = 35, unk_id = 40},
 * normalizer_spec = 3 {precompiled_charsmap = 2}.
 */
import { StudioError } from '../../shared/errors';

/** SentencePiece piece types (ModelProto.SentencePiece.Type). */
export const PieceType = { Normal: 1, Unknown: 2, Control: 3, UserDefined: 4, Unused: 5, Byte: 6 } as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

export interface SentencePieceModel {
  pieces: { piece: string; score: number; type: PieceType }[];
  /** TrainerSpec.model_type: 1 = Unigram. */
  modelType: number;
  unkId: number;
  byteFallback: boolean;
  precompiledCharsmap: Uint8Array | null;
}

export function parseSentencePieceModel(bytes: Uint8Array): SentencePieceModel {
  const model: SentencePieceModel = { pieces: [], modelType: 1, unkId: 0, byteFallback: false, precompiledCharsmap: null };
  readMessage(bytes, (field, value) => {
    if (field === 1 && value instanceof Uint8Array) {
      const piece: SentencePieceModel['pieces'][number] = { piece: '', score: 0, type: PieceType.Normal };
      readMessage(value, (f, v) => {
        if (f === 1 && v instanceof Uint8Array) piece.piece = utf8.decode(v);
        else if (f === 2 && typeof v === 'number') piece.score = v;
        else if (f === 3 && typeof v === 'bigint') piece.type = Number(v) as PieceType;
      });
      model.pieces.push(piece);
    } else if (field === 2 && value instanceof Uint8Array) {
      readMessage(value, (f, v) => {
        if (typeof v !== 'bigint') return;
        if (f === 3) model.modelType = Number(v);
        else if (f === 35) model.byteFallback = v !== 0n;
        else if (f === 40) model.unkId = Number(BigInt.asIntN(64, v));
      });
    } else if (field === 3 && value instanceof Uint8Array) {
      readMessage(value, (f, v) => {
        if (f === 2 && v instanceof Uint8Array && v.length > 0) model.precompiledCharsmap = v;
      });
    }
  });
  if (model.pieces.length === 0) throw invalid('it holds no pieces');
  return model;
}

/**
 * The tokenizer.json transformers writes for a T5 tokenizer over this model. HF's T5 conversion
 * does not carry `byte_fallback` over (the fast Unigram gets `byte_fallback: false`), so neither do we.
 */
export function t5TokenizerJsonFromSentencePiece(model: SentencePieceModel, extraIds: number): Record<string, unknown> {
  if (model.modelType !== 1) {
    throw invalid(`it is not a Unigram model (model_type ${model.modelType}); T5/umt5 tokenizers are Unigram`);
  }
  const vocab: [string, number][] = model.pieces.map((p) => [p.piece, p.score]);
  for (let i = extraIds - 1; i >= 0; i--) vocab.push([`<extra_id_${i}>`, 0]);
  const added: Record<string, unknown>[] = [];
  model.pieces.forEach((p, id) => {
    if (p.type === PieceType.Control || p.type === PieceType.Unknown || p.type === PieceType.UserDefined) {
      const special = p.type !== PieceType.UserDefined;
      added.push({ id, content: p.piece, single_word: false, lstrip: false, rstrip: false, normalized: false, special });
    }
  });
  for (let id = model.pieces.length; id < vocab.length; id++) {
    added.push({ id, content: vocab[id][0], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  const eos = model.pieces.findIndex((p) => p.piece === '</s>');
  return {
    version: '1.0',
    added_tokens: added,
    normalizer: model.precompiledCharsmap
      ? { type: 'Precompiled', precompiled_charsmap: Buffer.from(model.precompiledCharsmap).toString('base64') }
      : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }],
    },
    post_processor:
      eos < 0
        ? null
        : {
            type: 'TemplateProcessing',
            single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
            special_tokens: { '</s>': { id: '</s>', ids: [eos], tokens: ['</s>'] } },
          },
    model: { type: 'Unigram', unk_id: model.unkId, vocab, byte_fallback: false },
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Minimal proto2 wire reader: varints (as bigint), fixed32 floats, length-delimited bytes. */
function readMessage(bytes: Uint8Array, onField: (field: number, value: bigint | number | Uint8Array) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= bytes.length || shift > 63n) throw invalid('a varint runs past the end');
      const b = bytes[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
    }
  };
  while (pos < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    switch (key & 7) {
      case 0:
        onField(field, varint());
        break;
      case 1:
        if (pos + 8 > bytes.length) throw invalid('a 64-bit field runs past the end');
        onField(field, view.getFloat64(pos, true));
        pos += 8;
        break;
      case 2: {
        const length = Number(varint());
        if (pos + length > bytes.length) throw invalid('a length-delimited field runs past the end');
        onField(field, bytes.subarray(pos, pos + length));
        pos += length;
        break;
      }
      case 5:
        if (pos + 4 > bytes.length) throw invalid('a 32-bit field runs past the end');
        onField(field, view.getFloat32(pos, true));
        pos += 4;
        break;
      default:
        throw invalid(`it has protobuf wire type ${key & 7}, which a SentencePiece model never uses`);
    }
  }
}

function invalid(what: string): StudioError {
  return new StudioError('TOKENIZER_INVALID', `spiece.model is unreadable: ${what}. Re-download the tokenizer folder.`);
}
