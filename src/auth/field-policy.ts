import type { GraphQLField } from 'graphql';

import type { Role } from '../graphql/context.js';

/** The operation classes the rate limits count separately. */
export const RATE_CLASSES = ['reads', 'tools', 'createCase', 'chat', 'writes'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

export type RootOperation = 'query' | 'mutation' | 'subscription';

/**
 * What calling a root field takes. A field may declare it through Pothos' `extensions` option:
 * `extensions: { loom: { role: 'admin', rateClass: 'writes' } }`.
 */
export interface FieldPolicy {
  role: Role;
  rateClass: RateClass;
  /** Mutations and chat are written to the audit log. */
  audited: boolean;
}

export interface FieldPolicyExtension {
  role?: Role;
  rateClass?: RateClass;
  /** What the audit row's detail says about a successful call, from its arguments. */
  auditDetail?: (args: Record<string, unknown>) => string;
}

/** The `extensions.loom` declaration of a field, if any. */
export function declaredPolicy(field: { extensions?: unknown }): FieldPolicyExtension {
  return (field.extensions as { loom?: FieldPolicyExtension } | undefined)?.loom ?? {};
}

const RANK: Record<Role, number> = { viewer: 1, analyst: 2, admin: 3 };

/** Classes that cost the most; a chat field counts as chat whatever operation carries it. */
function classByName(fieldName: string): RateClass | undefined {
  if (fieldName === 'tools') return 'tools';
  if (fieldName === 'createCase') return 'createCase';
  if (/^chat|Chat$/.test(fieldName)) return 'chat';
  return undefined;
}

/**
 * Policy of one root field. Defaults: queries and subscriptions need a viewer and count as
 * reads; mutations need an analyst and count as writes. Chat and case creation need an analyst
 * however they are exposed, so a new field cannot silently open them to viewers.
 */
export function fieldPolicy(
  operation: RootOperation,
  field: Pick<GraphQLField<unknown, unknown>, 'name' | 'extensions'>,
): FieldPolicy {
  const declared = declaredPolicy(field);
  const named = classByName(field.name);
  const rateClass = declared.rateClass ?? named ?? (operation === 'mutation' ? 'writes' : 'reads');

  let role: Role = operation === 'mutation' ? 'analyst' : 'viewer';
  if (rateClass === 'chat' || rateClass === 'createCase') role = 'analyst';
  // A declaration may raise the role a field needs, never lower it.
  if (declared.role && RANK[declared.role] > RANK[role]) role = declared.role;
  return { role, rateClass, audited: operation === 'mutation' || rateClass === 'chat' };
}

export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}
