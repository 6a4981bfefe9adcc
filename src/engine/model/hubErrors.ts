/**
 * What went wrong talking to the Hub, as one StudioError each with the fix. The Hub says why in
 * `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and `X-Error-Message`;
 * 401 also stands for "private, gated or missing" when no token was sent.
 */
import { StudioError } from '../../shared/errors';

export interface HubRequestContext {
  endpoint: string;
  repo: string;
  revision: string;
  /** The repo file, when the request was for one. */
  path?: string;
  hasToken: boolean;
}

const TOKEN_HELP = 'Create a read token at https://huggingface.co/settings/tokens and pass it with --token (or set HF_TOKEN).';

function what(ctx: HubRequestContext): string {
  return ctx.path ? `${ctx.path} of ${ctx.repo}` : ctx.repo;
}

export function hubHttpError(status: number, headers: Headers, ctx: HubRequestContext): StudioError {
  const code = headers.get('x-error-code');
  const serverMessage = headers.get('x-error-message');
  const page = `${ctx.endpoint}/${ctx.repo}`;
  if (status === 401) {
    if (serverMessage?.startsWith('Invalid credentials') || (ctx.hasToken && code !== 'RepoNotFound' && code !== 'GatedRepo')) {
      return new StudioError('HUB_AUTH_REQUIRED', `The Hugging Face Hub rejected the token (invalid or expired) while fetching ${what(ctx)}. ${TOKEN_HELP}`);
    }
    if (code === 'GatedRepo' || !ctx.hasToken) {
      return new StudioError(
        'HUB_AUTH_REQUIRED',
        `${ctx.repo} needs a Hugging Face token (the repository is gated or private). Accept its terms at ${page} while logged in, then: ${TOKEN_HELP}`,
      );
    }
    return new StudioError('HUB_NOT_FOUND', `${ctx.repo} was not found at ${ctx.endpoint}, or this token can't see it. Check the name, HF_ENDPOINT and that the token's account has access.`);
  }
  if (status === 403) {
    if (code === 'GatedRepo') {
      return new StudioError(
        'HUB_ACCESS_DENIED',
        `Access to ${ctx.repo} is gated and the token's account has not been granted it yet. Open ${page}, accept the conditions (approval may take a while), then retry with a token of that account.`,
      );
    }
    return new StudioError(
      'HUB_ACCESS_DENIED',
      `The Hub refused ${what(ctx)} (403${serverMessage ? `: ${serverMessage}` : ''}). ${
        ctx.hasToken ? 'The token lacks read permission for this repository: use a token with "read" access.' : 'It needs a token with read access.'
      } ${TOKEN_HELP}`,
    );
  }
  if (status === 404) {
    if (code === 'RevisionNotFound') {
      return new StudioError(
        'HUB_NOT_FOUND',
        `Revision ${ctx.revision} of ${ctx.repo} does not exist on the Hub (it may have been removed). Download another revision, e.g. with --revision ${ctx.repo}=main.`,
      );
    }
    if (code === 'EntryNotFound' || (ctx.path && code !== 'RepoNotFound')) {
      return new StudioError('HUB_NOT_FOUND', `${ctx.path ?? 'A file'} is not in ${ctx.repo} at revision ${ctx.revision}. Download another revision (--revision ${ctx.repo}=main) or report it.`);
    }
    return new StudioError('HUB_NOT_FOUND', `Repository ${ctx.repo} was not found at ${ctx.endpoint}. Check the name and HF_ENDPOINT; if it is private, pass a token with access (--token).`);
  }
  if (status === 429 || status >= 500) {
    return new StudioError(
      'HUB_UNAVAILABLE',
      `The Hugging Face Hub at ${ctx.endpoint} answered ${status}${status === 429 ? ' (too many requests)' : ' (server error)'} for ${what(ctx)}. Try again in a few minutes; finished files are kept and partial ones resume.`,
    );
  }
  return new StudioError('HUB_UNAVAILABLE', `Unexpected answer ${status} from ${ctx.endpoint} for ${what(ctx)}${serverMessage ? ` (${serverMessage})` : ''}. Check HF_ENDPOINT points at a Hugging Face Hub.`);
}

/** 429 and 5xx are worth another try; the rest won't change by retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const NETWORK_CODES: Record<string, string> = {
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'DNS lookup failed',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EPIPE: 'the connection broke',
  UND_ERR_SOCKET: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the server stopped answering',
  UND_ERR_BODY_TIMEOUT: 'the server stopped sending',
  STALLED: 'no data arrived for too long',
};

/** The errno-like code of a failed fetch or body read (undici nests it in `cause`), or null. */
export function networkErrorCode(e: unknown): string | null {
  for (let x: unknown = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && code in NETWORK_CODES) return code;
    const errors = (x as { errors?: unknown[] }).errors;
    if (Array.isArray(errors)) for (const inner of errors) {
      const c = networkErrorCode(inner);
      if (c) return c;
    }
  }
  if (e instanceof TypeError && (e.message === 'fetch failed' || e.message === 'terminated')) return 'UND_ERR_SOCKET';
  return null;
}

export function describeNetworkError(code: string): string {
  return NETWORK_CODES[code] ?? code;
}

export function unreachableError(endpoint: string, code: string, cause: unknown): StudioError {
  return new StudioError(
    'NETWORK_UNREACHABLE',
    `Could not reach the Hugging Face Hub at ${endpoint} (${describeNetworkError(code)}). Check the internet connection, proxy or firewall, or set HF_ENDPOINT to a mirror. Files downloaded so far are kept; run the download again to resume.`,
    { cause },
  );
}
