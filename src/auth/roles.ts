import { AppError } from '../errors/app-error.js';
import type { GraphQLContext, Role } from '../graphql/context.js';

const RANK: Record<Role, number> = { viewer: 1, analyst: 2, admin: 3 };

export const ROLES: readonly Role[] = ['viewer', 'analyst', 'admin'];

/** Throws FORBIDDEN unless the caller's key has at least `role`. */
export function requireRole(ctx: GraphQLContext, role: Role): void {
  if (RANK[ctx.principal.role] < RANK[role]) {
    throw new AppError('FORBIDDEN', `this operation needs the ${role} role`);
  }
}
