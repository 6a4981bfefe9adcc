/**
 * The one error type of the studio. `code` is stable (tests and the UI switch on it); `message`
 * says what happened and what to do; `cause` keeps the underlying error.
 */
export type StudioErrorCode =
  | 'WEIGHTS_NOT_FOUND'
  | 'WEIGHTS_CORRUPT'
  | 'WEIGHTS_TRUNCATED'
  | 'WEIGHTS_UNSUPPORTED'
  | 'WEIGHTS_MISSING_TENSOR'
  | 'WEIGHTS_SHAPE_MISMATCH'
  | 'TOKENIZER_INVALID'
  | 'GRAPH_BUILD_FAILED'
  | 'GRAPH_CACHE_CORRUPT'
  | 'RUNTIME_FAILED'
  | 'INVALID_REQUEST'
  | 'CANCELLED'
  | 'IO_FAILED'
  | 'INVALID_FILE'
  | 'UNSUPPORTED_FILE'
  | 'GPU_UNAVAILABLE'
  | 'GPU_OUT_OF_MEMORY'
  | 'CUDA_DRIVER_MISSING'
  | 'CUDA_LIBRARY_MISSING'
  | 'CUDA_PROVIDER_MISSING'
  | 'INVALID_MESSAGE'
  | 'FORBIDDEN'
  | 'ENGINE_CRASHED'
  | 'NOT_FOUND'
  // model download (src/engine/model)
  | 'NETWORK_UNREACHABLE'
  | 'HUB_UNAVAILABLE'
  | 'HUB_AUTH_REQUIRED'
  | 'HUB_ACCESS_DENIED'
  | 'HUB_NOT_FOUND'
  | 'DOWNLOAD_INTERRUPTED'
  | 'DOWNLOAD_CORRUPT'
  | 'DOWNLOAD_LOCKED'
  | 'DISK_FULL'
  | 'INTERNAL';

export class StudioError extends Error {
  readonly code: StudioErrorCode;

  constructor(code: StudioErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StudioError';
    this.code = code;
  }

  /** Plain data for IPC/WebSocket/CLI output. */
  toJSON(): { code: StudioErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isStudioError(error: unknown): error is StudioError {
  return error instanceof StudioError;
}
