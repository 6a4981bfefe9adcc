/**
 * The text prompt as upstream feeds it to UMT5 (app.py `generate` then `encode_text`): prefixed
 * with "[Static] ", tokenized with `</s>` appended, truncated and padded to 512 ids.
 */
import type { FixedLengthEncoding, UnigramTokenizer } from '../tokenizer';
import { UPSTREAM_STATIC_PROMPT_PREFIX, UPSTREAM_TEXT_MAX_SEQUENCE_LENGTH } from './textPromptConstants';

/** The exact string upstream tokenizes for a user's prompt. */
export function upstreamPromptText(prompt: string): string {
  return UPSTREAM_STATIC_PROMPT_PREFIX + prompt;
}

/** input_ids + attention_mask (512 each) for the UMT5 encoder, as upstream computes them. */
export function tokenizeTextPrompt(tokenizer: UnigramTokenizer, prompt: string): FixedLengthEncoding {
  return tokenizer.encodeFixedLength(upstreamPromptText(prompt), {
    maxLength: UPSTREAM_TEXT_MAX_SEQUENCE_LENGTH,
    addSpecialTokens: true,
  });
}
