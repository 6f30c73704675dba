import { badInput } from '../errors/app-error.js';
import { builder } from '../graphql/builder.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from './api-keys.js';
import { listAudit, type AuditRow } from './audit-log.js';
import type { FieldPolicyExtension } from './field-policy.js';
import { requireRole } from './roles.js';

const adminOnly: { loom: FieldPolicyExtension } = { loom: { role: 'admin' } };
// The audit row of a key mutation names the key it touched.
const adminOnNamedKey: { loom: FieldPolicyExtension } = {
  loom: { role: 'admin', auditDetail: (args) => `key ${String(args.name)}` },
};

const ApiKeyRoleEnum = builder.enumType('ApiKeyRole', {
  description: 'viewer: read and subscribe; analyst: also run cases and chat; admin: also keys',
  values: { VIEWER: { value: 'viewer' }, ANALYST: { value: 'analyst' }, ADMIN: { value: 'admin' } },
});

const ApiKeyRef = builder.objectRef<ApiKeyRow>('ApiKey').implement({
  description: 'An API key as stored: its name and role, never the key itself',
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.field({ type: ApiKeyRoleEnum, resolve: (k) => k.role as never }),
    revoked: t.exposeBoolean('revoked'),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.createdAt }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.lastUsedAt }),
  }),
});

const CreatedApiKeyRef = builder
  .objectRef<{ key: string; row: ApiKeyRow }>('CreatedApiKey')
  .implement({
    fields: (t) => ({
      key: t.exposeString('key', { description: 'The key itself, shown this once only' }),
      apiKey: t.field({ type: ApiKeyRef, resolve: (c) => c.row }),
    }),
  });

const AuditEntryRef = builder.objectRef<AuditRow>('AuditEntry').implement({
  description: 'One mutation as the audit log recorded it',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (a) => a.at }),
    keyName: t.exposeString('keyName', { nullable: true }),
    operation: t.exposeString('operation'),
    caseId: t.exposeID('caseId', { nullable: true }),
    requestId: t.exposeString('requestId', { nullable: true }),
    clientAddress: t.exposeString('clientAddress', { nullable: true }),
    outcome: t.exposeString('outcome', { description: 'ok or error' }),
    detail: t.exposeString('detail', { nullable: true }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: [ApiKeyRef],
    description: 'Every API key, oldest first (admin)',
    extensions: adminOnly,
    resolve: (_root, _args, ctx) => {
      requireRole(ctx, 'admin');
      return listApiKeys(ctx.services.db);
    },
  }),
  auditLog: t.field({
    type: [AuditEntryRef],
    description: 'The newest audit entries first (admin)',
    extensions: adminOnly,
    args: { first: t.arg.int({ required: false }) },
    resolve: (_root, args, ctx) => {
      requireRole(ctx, 'admin');
      const first = args.first ?? 50;
      if (first < 1 || first > 500) throw badInput('first', 'must be between 1 and 500');
      return listAudit(ctx.services.db, first);
    },
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    description: 'Creates a key with a role; the key is in the answer and nowhere else (admin)',
    extensions: adminOnNamedKey,
    args: {
      name: t.arg.string({ required: true }),
      role: t.arg({ type: ApiKeyRoleEnum, required: true }),
    },
    resolve: (_root, args, ctx) => {
      requireRole(ctx, 'admin');
      return createApiKey(ctx.services.db, args.name, args.role);
    },
  }),
  revokeApiKey: t.boolean({
    description: 'Revokes a key by name; false when there is none (admin)',
    extensions: adminOnNamedKey,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => {
      requireRole(ctx, 'admin');
      return revokeApiKey(ctx.services.db, args.name);
    },
  }),
}));
