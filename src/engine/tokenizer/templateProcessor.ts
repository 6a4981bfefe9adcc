/**
 * HF `TemplateProcessing` (processors/template.rs) for single sequences: the template says where
 * the sequence goes and which special tokens surround it (T5: `$A </s>`).
 */
import { StudioError } from '../../shared/errors';

export type TemplatePiece = { kind: 'sequence' } | { kind: 'special'; ids: number[] };

export interface PostProcessor {
  /** How many ids `process` adds to one sequence; truncation keeps room for them. */
  readonly addedTokensSingle: number;
  process(ids: readonly number[], addSpecialTokens: boolean): number[];
}

export class TemplateProcessor implements PostProcessor {
  readonly addedTokensSingle: number;

  constructor(private readonly single: TemplatePiece[]) {
    this.addedTokensSingle = single.reduce((n, p) => n + (p.kind === 'special' ? p.ids.length : 0), 0);
  }

  process(ids: readonly number[], addSpecialTokens: boolean): number[] {
    const out: number[] = [];
    for (const piece of this.single) {
      if (piece.kind === 'sequence') out.push(...ids);
      else if (addSpecialTokens) out.push(...piece.ids);
    }
    return out;
  }
}

/** No post-processor in tokenizer.json: the sequence passes unchanged. */
export const identityPostProcessor: PostProcessor = {
  addedTokensSingle: 0,
  process: (ids) => [...ids],
};

type TemplateJson = {
  type: string;
  single?: unknown[];
  special_tokens?: Record<string, { id: string; ids: number[]; tokens: string[] }>;
};

export function buildPostProcessor(json: TemplateJson | null | undefined): PostProcessor {
  if (json === null || json === undefined) return identityPostProcessor;
  if (json.type !== 'TemplateProcessing') {
    throw new StudioError(
      'TOKENIZER_INVALID',
      `tokenizer.json uses the post-processor "${json.type}", which this studio does not implement. ` +
        'Use the tokenizer folder that ships with the model.',
    );
  }
  const specials = json.special_tokens ?? {};
  const pieces: TemplatePiece[] = (json.single ?? []).map((raw) => {
    const entry = raw as { Sequence?: { id: string }; SpecialToken?: { id: string } };
    if (entry.Sequence) {
      // A single-sequence template can only hold sequence A; `$B` there has nothing to fill it.
      if (entry.Sequence.id !== 'A') throw invalidTemplate(`the single template refers to sequence ${entry.Sequence.id}`);
      return { kind: 'sequence' };
    }
    if (entry.SpecialToken) {
      const special = specials[entry.SpecialToken.id];
      if (!special) throw invalidTemplate(`the template uses "${entry.SpecialToken.id}", which special_tokens does not define`);
      return { kind: 'special', ids: [...special.ids] };
    }
    throw invalidTemplate(`a template piece is neither Sequence nor SpecialToken: ${JSON.stringify(raw)}`);
  });
  return new TemplateProcessor(pieces);
}

function invalidTemplate(what: string): StudioError {
  return new StudioError('TOKENIZER_INVALID', `tokenizer.json's TemplateProcessing is invalid: ${what}. Use the tokenizer folder that ships with the model.`);
}
