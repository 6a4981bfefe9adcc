export { UnigramTokenizer } from './unigramTokenizer';
export type { FixedLengthEncoding, FixedLengthOptions, EncodeOptions, TokenizerParts } from './unigramTokenizer';
export { loadTokenizerFromFolder, tokenizerFromFiles } from './loadTokenizer';
export type { TokenizerFiles } from './loadTokenizer';
export { UnigramModel } from './unigramModel';
export { PrecompiledCharsmap } from './precompiledCharsmap';
export { parseSentencePieceModel, t5TokenizerJsonFromSentencePiece } from './sentencePieceModel';
export type { SentencePieceModel } from './sentencePieceModel';
