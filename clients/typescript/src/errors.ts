/** One GraphQL error as the server sends it. */
export interface GraphqlErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

/**
 * A request Loom refused or could not answer. `code` is the server's `extensions.code`
 * (BAD_USER_INPUT, NOT_FOUND, UNAUTHENTICATED, …) or one of the client's own: NETWORK when
 * the server could not be reached, HTTP_ERROR for an answer that was not GraphQL.
 */
export class LoomError extends Error {
  readonly code: string;
  readonly errors: GraphqlErrorBody[];
  readonly status?: number;

  constructor(code: string, message: string, errors: GraphqlErrorBody[] = [], status?: number) {
    super(message);
    this.name = 'LoomError';
    this.code = code;
    this.errors = errors;
    this.status = status;
  }

  /** From the `errors` of a GraphQL answer; the first error names the failure. */
  static fromGraphql(errors: GraphqlErrorBody[], status?: number): LoomError {
    const first = errors[0];
    const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : 'GRAPHQL';
    return new LoomError(code, first?.message ?? 'unknown error', errors, status);
  }
}
