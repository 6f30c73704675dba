import { GraphQLError, type ExecutionResult } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';

import type { AppConfig } from '../config/config.js';
import type { GraphQLContext } from '../graphql/context.js';

const logged = new WeakSet<object>();
const VALIDATION = 'GRAPHQL_VALIDATION_FAILED';

/** True when the error was logged already, with its request id. */
export function wasLogged(err: unknown): boolean {
  return typeof err === 'object' && err !== null && logged.has(err);
}

export function markLogged(err: unknown): void {
  if (typeof err === 'object' && err !== null) logged.add(err);
}

/**
 * Gives every error a client sees a code, hides graphql's "Did you mean …?" hints in production
 * (they map the schema with introspection off), and logs each unexpected error once with its
 * request id before Yoga masks it.
 */
export function errorHygiene(config: Pick<AppConfig, 'ENVIRONMENT'>): Plugin {
  const production = config.ENVIRONMENT === 'production';
  const tidyResult = (ctx: unknown, result: ExecutionResult) => {
    for (const error of result.errors ?? []) tidyError(error, production, ctx as GraphQLContext);
  };

  return {
    onValidate:
      () =>
      ({ valid, result }) => {
        if (!valid) {
          for (const error of result) tidyError(error, production, undefined, VALIDATION);
        }
      },
    onExecute: ({ args }) => ({
      onExecuteDone: (payload) =>
        handleStreamOrSingleExecutionResult(payload, ({ result }) =>
          tidyResult(args.contextValue, result),
        ),
    }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: (payload) =>
        handleStreamOrSingleExecutionResult(payload, ({ result }) =>
          tidyResult(args.contextValue, result),
        ),
    }),
  };
}

/**
 * Expected errors (graphql's own and AppErrors) get a code when they lack one: request errors
 * (no path: bad variables, unknown operation) are the caller's; the rest are internal.
 */
export function tidyError(
  error: GraphQLError,
  production: boolean,
  ctx?: GraphQLContext,
  fallbackCode?: string,
): void {
  if (!isExpected(error)) {
    if (ctx && !wasLogged(error)) {
      ctx.log.error({ err: error.originalError ?? error, path: error.path }, 'operation failed');
      markLogged(error);
    }
    return;
  }
  if (production) {
    (error as { message: string }).message = hideSuggestions(error.message);
  }
  const extensions = error.extensions as Record<string, unknown>;
  if (typeof extensions.code !== 'string') {
    extensions.code = fallbackCode ?? (error.path ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT');
  }
}

export function hideSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '').trim();
}

/** An error raised as a GraphQLError on purpose, not an exception wrapped on its way out. */
function isExpected(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  return error.originalError == null || isExpected(error.originalError);
}
