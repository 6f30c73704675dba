import {
  defaultFieldResolver,
  getNamedType,
  GraphQLError,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';

import type { GraphQLContext } from '../graphql/context.js';
import { writeAudit } from './audit-log.js';
import { declaredPolicy, fieldPolicy } from './field-policy.js';

const audited = new WeakSet<GraphQLSchema>();

type AuditedField = Pick<GraphQLField<unknown, unknown>, 'name'> & {
  type?: GraphQLOutputType;
  extensions?: unknown;
};

/**
 * Wraps every mutation resolver of the schema, and the set-up of audited subscriptions (chat),
 * so that each call, succeeded or failed, leaves one audit row. Done on the built schema so a
 * mutation added later is audited without asking.
 */
export function auditMutations(schema: GraphQLSchema): GraphQLSchema {
  if (audited.has(schema)) return schema;
  audited.add(schema);

  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    field.resolve = audit(field, field.resolve ?? defaultFieldResolver);
  }
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {})) {
    if (field.subscribe && fieldPolicy('subscription', field).audited) {
      field.subscribe = audit(field, field.subscribe);
    }
  }
  return schema;
}

function audit(
  field: GraphQLField<unknown, unknown>,
  call: GraphQLFieldResolver<unknown, unknown>,
): GraphQLFieldResolver<unknown, GraphQLContext> {
  return async (root, args: Record<string, unknown>, ctx, info) => {
    let result: unknown;
    try {
      result = await call(root, args, ctx, info);
    } catch (err) {
      await record(ctx, field, args, undefined, err);
      throw err;
    }
    await record(ctx, field, args, result, undefined);
    return result;
  };
}

/** Writes one row for a mutation; a failed write is logged, never turned into the reply. */
export async function record(
  ctx: GraphQLContext,
  field: AuditedField,
  args: Record<string, unknown>,
  result: unknown,
  err: unknown,
): Promise<void> {
  try {
    await writeAudit(ctx.services.db, {
      keyName: ctx.principal.keyName,
      operation: field.name,
      caseId: caseIdOf(field, args, result),
      requestId: ctx.requestId,
      clientAddress: ctx.clientAddress,
      outcome: err === undefined ? 'ok' : 'error',
      detail:
        err === undefined ? (declaredPolicy(field).auditDetail?.(args) ?? null) : describe(err),
    });
  } catch (writeErr) {
    ctx.log.error({ err: writeErr, operation: field.name }, 'audit log write failed');
  }
}

/** The case a mutation touched, from its arguments or what it returned. */
function caseIdOf(
  field: AuditedField,
  args: Record<string, unknown>,
  result: unknown,
): string | null {
  const input = args.input as Record<string, unknown> | undefined;
  const fromArgs = args.caseId ?? input?.caseId;
  if (typeof fromArgs === 'string') return fromArgs;

  if (result && typeof result === 'object') {
    const row = result as Record<string, unknown>;
    if (typeof row.caseId === 'string') return row.caseId;
    if (field.type && getNamedType(field.type).name === 'Case' && typeof row.id === 'string') {
      return row.id;
    }
  }
  // cancelCase(id), deleteCase(id): the id is the case's even when the call failed.
  if (/Case$/.test(field.name) && typeof args.id === 'string') return args.id;
  return null;
}

function describe(err: unknown): string {
  if (err instanceof GraphQLError && typeof err.extensions.code === 'string') {
    return `${err.extensions.code}: ${err.message}`;
  }
  return 'INTERNAL_SERVER_ERROR';
}
