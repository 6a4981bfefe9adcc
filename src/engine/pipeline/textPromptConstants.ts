/**
 * Numbers and strings of the text-prompt path that come from upstream FlashWorld and must stay
 * equal to it.
 */

/** upstream app.py `GenerationSystem.generate`: the text prompt is prefixed with this before encoding. */
export const UPSTREAM_STATIC_PROMPT_PREFIX = '[Static] ';

/** upstream app.py `encode_text`: `max_sequence_length = 512` (pad and truncate to it). */
export const UPSTREAM_TEXT_MAX_SEQUENCE_LENGTH = 512;
