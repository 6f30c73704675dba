import {
  getArgumentValues,
  getOperationAST,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { record } from '../auth/audit-mutations.js';
import {
  fieldPolicy,
  roleAtLeast,
  type FieldPolicy,
  type RateClass,
} from '../auth/field-policy.js';
import { rateLimitedError, rateSubject, type RateLimits } from '../auth/rate-limits.js';
import { AppError } from '../errors/app-error.js';
import type { GraphQLContext } from '../graphql/context.js';
import { operationCost } from './operation-limits.js';

interface RootCall {
  field: string;
  policy: FieldPolicy;
  node: FieldNode;
  definition?: GraphQLField<unknown, unknown>;
}

interface OperationArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
  contextValue: unknown;
}

/**
 * Runs before every execution and subscription, over HTTP, SSE and WebSocket alike: the cost
 * with variables, the caller's rate budget per operation class, then the role each root field
 * needs. A refusal ends the operation with one coded error before any resolver runs: one root
 * field the caller may not call refuses the whole operation, not just that field.
 */
export function operationPolicy(deps: { limits: RateLimits; maxCost: number }): Plugin {
  const check = async (args: OperationArgs): Promise<AppError | undefined> => {
    const ctx = args.contextValue as GraphQLContext;
    const operation = getOperationAST(args.document, args.operationName);
    // graphql's execute reports a missing or ambiguous operation with its own error.
    if (!operation) return undefined;
    const fragments = fragmentsOf(args.document);

    const cost = operationCost(operation, fragments, args.variableValues);
    if (cost > deps.maxCost) {
      return new AppError(
        'MAX_COST_EXCEEDED',
        `Query Cost limit of ${deps.maxCost} exceeded, found ${Math.ceil(cost)}.`,
        { limit: deps.maxCost },
      );
    }

    const calls = rootCalls(args.schema, operation, fragments);
    const refused = await spend(deps.limits, ctx, operation, calls);
    if (refused) {
      if (refused.first) await auditRefusal(ctx, calls, args.variableValues, refused.error);
      return refused.error;
    }

    const denied = calls.find((call) => !roleAtLeast(ctx.principal.role, call.policy.role));
    if (denied) {
      const error = new AppError(
        'FORBIDDEN',
        `${denied.field} needs the ${denied.policy.role} role`,
        { http: { status: 403 } },
      );
      await auditRefusal(ctx, calls, args.variableValues, error);
      return error;
    }
    return undefined;
  };

  return {
    onExecute: async ({ args, setResultAndStopExecution }) => {
      const error = await check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe: async ({ args, setResultAndStopExecution }) => {
      const error = await check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/**
 * Every query or subscription spends one read, whatever it selects (`{ __typename }` too);
 * other classes spend one point per root field, so ten aliased `createCase` calls spend ten.
 * The narrower classes are spent first: a call they refuse costs no read.
 */
async function spend(
  limits: RateLimits,
  ctx: GraphQLContext,
  operation: OperationDefinitionNode,
  calls: RootCall[],
): Promise<{ error: AppError; first: boolean } | undefined> {
  const points = new Map<RateClass, number>();
  for (const { policy } of calls) {
    if (policy.rateClass === 'reads') continue;
    points.set(policy.rateClass, (points.get(policy.rateClass) ?? 0) + 1);
  }
  if (operation.operation !== 'mutation') points.set('reads', 1);
  else if (points.size === 0) points.set('writes', 1);

  const subject = rateSubject(ctx.principal, ctx.clientAddress);
  for (const [cls, count] of points) {
    const refusal = await limits.consume(cls, subject, count);
    if (refusal) {
      ctx.services.metrics.rateLimited.inc({ class: cls });
      if (refusal.first) ctx.log.warn({ rateClass: cls, subject }, 'rate limit reached');
      return { error: rateLimitedError(refusal, cls), first: refusal.first };
    }
  }
  return undefined;
}

/** A refused mutation or chat still leaves an audit row per audited root field. */
async function auditRefusal(
  ctx: GraphQLContext,
  calls: RootCall[],
  variables: Record<string, unknown> | null | undefined,
  error: AppError,
) {
  for (const call of calls.filter((c) => c.policy.audited)) {
    let args: Record<string, unknown> = {};
    try {
      if (call.definition) args = getArgumentValues(call.definition, call.node, variables ?? {});
    } catch {
      // Arguments that do not coerce leave the row without a case id; the refusal stands.
    }
    await record(ctx, call.definition ?? { name: call.field }, args, undefined, error);
  }
}

/** The distinct root fields the operation selects, through fragments, with their policies. */
export function rootCalls(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): RootCall[] {
  const rootType =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const fields = rootType?.getFields() ?? {};

  // Fields sharing a response key are merged by graphql and resolved once.
  const byKey = new Map<string, FieldNode>();
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        byKey.set(selection.alias?.value ?? selection.name.value, selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);

  const calls: RootCall[] = [];
  for (const node of byKey.values()) {
    const name = node.name.value;
    if (name === '__typename') continue;
    const definition = fields[name];
    calls.push({
      field: name,
      policy: fieldPolicy(operation.operation, definition ?? { name, extensions: {} }),
      node,
      definition,
    });
  }
  return calls;
}

export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  return fragments;
}
