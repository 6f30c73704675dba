import { Kind, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { AppError } from '../errors/app-error.js';

/**
 * PostgreSQL text cannot hold a NUL character, so one in any argument would surface as a
 * database failure. Operations carrying one, inline or in variables, are refused up front
 * with a client error, over every transport.
 */
export function rejectNulBytes(): Plugin {
  const refuse = (document: DocumentNode, variables: unknown) =>
    hasNul(variables) || documentHasNul(document)
      ? new AppError('BAD_USER_INPUT', 'arguments must not contain NUL characters')
      : undefined;

  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const error = refuse(args.document, args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const error = refuse(args.document, args.variableValues);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  const items = Array.isArray(value) ? value : [...Object.keys(value), ...Object.values(value)];
  return items.some((item) => hasNul(item, depth + 1));
}

function documentHasNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (node.value.includes('\u0000')) found = true;
    },
  });
  return found;
}
