import { requireRole } from '../auth/roles.js';
import { TOOL_RUN_STATUSES } from '../cases/case-status.js';
import { badInput } from '../errors/app-error.js';
import { builder } from '../graphql/builder.js';
import { ToolRef } from '../tools/tool-graphql.js';
import { findingCounts, type RunRow } from './run-repository.js';

export const ToolRunStatusEnum = builder.enumType('ToolRunStatus', { values: TOOL_RUN_STATUSES });

export const ToolRunRef = builder.objectRef<RunRow>('ToolRun');

ToolRunRef.implement({
  description: 'One tool executed for one case',
  fields: (t) => ({
    id: t.exposeID('id'),
    tool: t.field({
      type: ToolRef,
      resolve: (run, _args, ctx) => {
        const tool = ctx.services.registry.get(run.tool);
        if (tool) return tool;
        // A run of a tool this process does not know (e.g. removed since) still resolves.
        return {
          name: run.tool,
          description: 'not available in this server',
          transport: 'NATIVE' as const,
          targetKinds: [],
          options: undefined as never,
          checkAvailability: async () => ({ available: false, reason: 'unknown tool' }),
          run: async () => {},
          parse: () => [],
        };
      },
    }),
    status: t.field({ type: ToolRunStatusEnum, resolve: (run) => run.status as never }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (run) => run.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (run) => run.finishedAt }),
    error: t.exposeString('error', { nullable: true }),
    warnings: t.stringList({ resolve: (run) => run.warnings ?? [] }),
    attempts: t.exposeInt('attempts'),
    findingCount: t.int({
      resolve: async (run, _args, ctx) =>
        (await findingCounts(ctx.services.db, [run.id])).get(run.id) ?? 0,
    }),
    output: t.string({
      nullable: true,
      description: 'Raw output kept for this run (its last part when the tool printed a lot)',
      args: { tailLines: t.arg.int({ required: false }) },
      resolve: (run, args) => {
        if (args.tailLines == null) return run.output;
        if (args.tailLines < 0 || args.tailLines > 100_000) {
          throw badInput('tailLines', 'must be between 0 and 100000');
        }
        if (args.tailLines === 0) return '';
        return run.output.split('\n').slice(-args.tailLines).join('\n');
      },
    }),
  }),
});

builder.mutationField('retryToolRun', (t) =>
  t.field({
    type: ToolRunRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      requireRole(ctx, 'analyst');
      return ctx.services.caseService.retryRun(String(args.id));
    },
  }),
);
