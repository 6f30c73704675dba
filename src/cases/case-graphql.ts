import { requireRole } from '../auth/roles.js';
import { builder, connectionType } from '../graphql/builder.js';
import { decodeCursor, encodeCursor, pageSize } from '../graphql/cursor.js';
import { FindingConnection, FindingKindEnum } from '../findings/finding-graphql.js';
import { listFindings } from '../findings/finding-repository.js';
import { ReportRef } from '../reports/report-graphql.js';
import { latestReport } from '../reports/report-repository.js';
import { ToolRunRef } from '../runs/run-graphql.js';
import { listRuns } from '../runs/run-repository.js';
import { TargetKindEnum } from '../tools/tool-graphql.js';
import { getCase, listCases, type CaseRow } from './case-repository.js';
import { CASE_STATUSES } from './case-status.js';

export const CaseStatusEnum = builder.enumType('CaseStatus', { values: CASE_STATUSES });

export const CaseRef = builder.objectRef<CaseRow>('Case');

const isOffset = (v: unknown): v is { o: number } =>
  typeof v === 'object' &&
  v !== null &&
  Number.isInteger((v as { o: unknown }).o) &&
  (v as { o: number }).o >= 0;

CaseRef.implement({
  description: 'An investigation of one target with a set of tools',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    description: t.exposeString('description', { nullable: true }),
    target: t.exposeString('target'),
    targetKind: t.field({ type: TargetKindEnum, resolve: (c) => c.targetKind as never }),
    status: t.field({ type: CaseStatusEnum, resolve: (c) => c.status as never }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.finishedAt }),
    archiveStatus: t.exposeString('archiveStatus', {
      nullable: true,
      description: 'PENDING, ARCHIVED or FAILED once finished, when an archive is configured',
    }),
    toolRuns: t.field({
      type: [ToolRunRef],
      resolve: (c, _args, ctx) => listRuns(ctx.services.db, c.id),
    }),
    findings: t.field({
      type: FindingConnection,
      args: {
        kind: t.arg({ type: FindingKindEnum, required: false }),
        first: t.arg.int({ required: false }),
        after: t.arg.string({ required: false }),
      },
      resolve: async (c, args, ctx) => {
        const limit = pageSize('first', args.first, 100, 1000);
        const offset = args.after ? decodeCursor('after', args.after, isOffset).o + 1 : 0;
        const { rows, totalCount } = await listFindings(ctx.services.db, c.id, {
          kind: args.kind ?? undefined,
          offset,
          limit,
        });
        const edges = rows.map((node, i) => ({ cursor: encodeCursor({ o: offset + i }), node }));
        return {
          edges,
          totalCount,
          pageInfo: {
            hasNextPage: offset + rows.length < totalCount,
            hasPreviousPage: offset > 0,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges[edges.length - 1]?.cursor ?? null,
          },
        };
      },
    }),
    report: t.field({
      type: ReportRef,
      nullable: true,
      description: 'The newest report: the narrative when one was written, else the structured one',
      resolve: async (c, _args, ctx) => (await latestReport(ctx.services.db, c.id)) ?? null,
    }),
  }),
});

const CaseConnection = connectionType<CaseRow>('Case', CaseRef);

const isCaseCursor = (v: unknown): v is { t: string; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { t: unknown }).t === 'string' &&
  typeof (v as { id: unknown }).id === 'string' &&
  !Number.isNaN(Date.parse((v as { t: string }).t));

builder.queryFields((t) => ({
  case: t.field({
    type: CaseRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => (await getCase(ctx.services.db, String(args.id))) ?? null,
  }),
  cases: t.field({
    type: CaseConnection,
    description: 'Cases, newest first',
    args: {
      first: t.arg.int({ required: false }),
      after: t.arg.string({ required: false }),
      status: t.arg({ type: CaseStatusEnum, required: false }),
      search: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const first = pageSize('first', args.first, 20, 100);
      const after = args.after ? decodeCursor('after', args.after, isCaseCursor) : undefined;
      const { rows, totalCount, hasNextPage } = await listCases(ctx.services.db, {
        first,
        after: after && { createdAt: new Date(after.t), id: after.id },
        status: args.status ?? undefined,
        search: args.search?.slice(0, 200) || undefined,
      });
      const edges = rows.map((node) => ({
        cursor: encodeCursor({ t: node.createdAt.toISOString(), id: node.id }),
        node,
      }));
      return {
        edges,
        totalCount,
        pageInfo: {
          hasNextPage,
          hasPreviousPage: Boolean(after),
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges[edges.length - 1]?.cursor ?? null,
        },
      };
    },
  }),
}));

const CreateCaseInput = builder.inputType('CreateCaseInput', {
  fields: (t) => ({
    title: t.string({ required: true }),
    description: t.string({ required: false }),
    target: t.string({ required: true }),
    tools: t.stringList({ required: true }),
    toolOptions: t.field({ type: 'JSON', required: false }),
  }),
});

builder.mutationFields((t) => ({
  createCase: t.field({
    type: CaseRef,
    args: { input: t.arg({ type: CreateCaseInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      requireRole(ctx, 'analyst');
      return ctx.services.caseService.create(input);
    },
  }),
  cancelCase: t.field({
    type: CaseRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      requireRole(ctx, 'analyst');
      return ctx.services.caseService.cancel(String(args.id));
    },
  }),
  deleteCase: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      requireRole(ctx, 'analyst');
      return ctx.services.caseService.delete(String(args.id));
    },
  }),
}));
