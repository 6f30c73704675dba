/** Codes an `HttpError` carries; stable, so callers and GraphQL errors can switch on them. */
export type HttpErrorCode = 'HTTP_ERROR' | 'HTTP_TIMEOUT' | 'HTTP_UNREACHABLE';

export interface HttpErrorDetails {
  code: HttpErrorCode;
  service: string;
  method: string;
  /** Origin and path only: never the query string or user info, which can hold secrets. */
  location: string;
  status?: number;
  /** The start of the error answer's body, for callers that read the service's own message. */
  bodyText?: string;
  attempts: number;
  cause?: unknown;
}

/**
 * The final failure of a request after its retries. The message names the service, method,
 * origin + path and status, and is safe to show or log: it is built only from redacted parts.
 */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly service: string;
  readonly method: string;
  readonly location: string;
  readonly status?: number;
  readonly bodyText?: string;
  readonly attempts: number;

  constructor(message: string, details: HttpErrorDetails) {
    super(message, { cause: details.cause });
    this.name = 'HttpError';
    this.code = details.code;
    this.service = details.service;
    this.method = details.method;
    this.location = details.location;
    this.status = details.status;
    this.bodyText = details.bodyText;
    this.attempts = details.attempts;
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}
