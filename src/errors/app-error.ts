import { GraphQLError } from 'graphql';

/** Stable codes a client can act on; anything else reaching a client is masked. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'LLM_UNAVAILABLE'
  | 'LLM_ERROR'
  // Refusals of the request itself, before any resolver runs.
  | 'BAD_REQUEST'
  | 'INTERNAL_SERVER_ERROR'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'HOST_NOT_ALLOWED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'MAX_DEPTH_EXCEEDED'
  | 'MAX_COST_EXCEEDED'
  | 'MAX_ALIASES_EXCEEDED'
  | 'MAX_DIRECTIVES_EXCEEDED'
  | 'MAX_TOKENS_EXCEEDED';

/** An expected failure: reaches the client with its code in `extensions`. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export function badInput(field: string, message: string): AppError {
  return new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field });
}

export function notFound(what: string, id: string): AppError {
  return new AppError('NOT_FOUND', `${what} ${id} not found`, { id });
}
