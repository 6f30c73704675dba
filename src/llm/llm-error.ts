export type LlmErrorCode =
  /** Not configured, unreachable, overloaded (5xx, 429) or refusing our credentials. */
  | 'LLM_UNAVAILABLE'
  /** The server answered that the configured model does not exist there. */
  | 'LLM_MODEL_MISSING'
  /** The server accepted the request but rejected it as invalid (400, 422: context too long …). */
  | 'LLM_REQUEST_REJECTED'
  /** Nothing arrived within the idle timeout, before the first byte or between two chunks. */
  | 'LLM_TIMEOUT'
  /** The stream carried an error object, was malformed, or ended before its final message. */
  | 'LLM_STREAM_ERROR'
  /** The caller's signal aborted the request. */
  | 'LLM_ABORTED';

export interface LlmErrorOptions {
  provider: string;
  /** HTTP status when the server answered with one. */
  status?: number;
  /** Whether a fresh request may succeed; only ever acted on before the first delta. */
  retryable?: boolean;
  cause?: unknown;
}

/** Every failure of an LLM call; the message never carries an API key or a credential. */
export class LlmError extends Error {
  readonly provider: string;
  readonly status?: number;
  readonly retryable: boolean;

  constructor(
    readonly code: LlmErrorCode,
    message: string,
    options: LlmErrorOptions,
  ) {
    super(message, { cause: options.cause });
    this.name = 'LlmError';
    this.provider = options.provider;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}

export function isLlmError(err: unknown): err is LlmError {
  return err instanceof LlmError;
}

/** Server text shown in an error message: one line, bounded. */
export function clip(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Shared mapping of statuses that mean the same on every provider. */
export function httpError(status: number, message: string, providerName: string): LlmError {
  const detail = clip(message) || 'no details';
  const options = { provider: providerName, status };
  if (status === 401 || status === 403) {
    return new LlmError(
      'LLM_UNAVAILABLE',
      `the server refused our credentials (${status}): ${detail}`,
      options,
    );
  }
  if (status === 404) {
    return new LlmError(
      'LLM_UNAVAILABLE',
      `the endpoint was not found (404), check the base URL: ${detail}`,
      options,
    );
  }
  if (status === 408 || status === 429 || status >= 500) {
    return new LlmError('LLM_UNAVAILABLE', `the server is unavailable (${status}): ${detail}`, {
      ...options,
      retryable: true,
    });
  }
  return new LlmError(
    'LLM_REQUEST_REJECTED',
    `the server rejected the request (${status}): ${detail}`,
    options,
  );
}
