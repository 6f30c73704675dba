import { CaseRef } from '../cases/case-graphql.js';
import { getCase } from '../cases/case-repository.js';
import { badInput, notFound } from '../errors/app-error.js';
import { FindingRef } from '../findings/finding-graphql.js';
import { getFindingsByIds } from '../findings/finding-repository.js';
import { builder } from '../graphql/builder.js';
import { listEvents } from './event-repository.js';
import { CASE_EVENT_TYPES, type CaseEventRecord } from './event-types.js';

export const CaseEventTypeEnum = builder.enumType('CaseEventType', { values: CASE_EVENT_TYPES });

export const CaseEventRef = builder.objectRef<CaseEventRecord>('CaseEvent').implement({
  description: 'Something that happened in a case; `seq` is dense and starts at 1 per case',
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    caseId: t.exposeID('caseId'),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    type: t.field({ type: CaseEventTypeEnum, resolve: (e) => e.type }),
    tool: t.exposeString('tool', { nullable: true }),
    runId: t.exposeID('runId', { nullable: true }),
    status: t.exposeString('status', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
    finding: t.field({
      type: FindingRef,
      nullable: true,
      resolve: async (e, _args, ctx) => {
        if (!e.findingId) return null;
        const [finding] = await getFindingsByIds(ctx.services.db, [e.findingId]);
        return finding ?? null;
      },
    }),
  }),
});

const checkAfterSeq = (afterSeq: number | null | undefined) => {
  if (afterSeq != null && afterSeq < 0) throw badInput('afterSeq', 'must be 0 or more');
};

builder.objectField(CaseRef, 'events', (t) =>
  t.field({
    type: [CaseEventRef],
    args: {
      afterSeq: t.arg.int({ required: false }),
      first: t.arg.int({ required: false }),
    },
    resolve: (c, args, ctx) => {
      checkAfterSeq(args.afterSeq);
      const first = args.first ?? 500;
      if (first < 1 || first > 5000) throw badInput('first', 'must be between 1 and 5000');
      return listEvents(ctx.services.db, c.id, { afterSeq: args.afterSeq ?? 0, limit: first });
    },
  }),
);

builder.subscriptionField('caseEvents', (t) =>
  t.field({
    type: CaseEventRef,
    description:
      'Events of a case. With afterSeq, stored events after it are replayed first; without, only live ones.',
    args: {
      caseId: t.arg.id({ required: true }),
      afterSeq: t.arg.int({ required: false }),
    },
    subscribe: async (_root, args, ctx) => {
      checkAfterSeq(args.afterSeq);
      const caseId = String(args.caseId);
      if (!(await getCase(ctx.services.db, caseId))) throw notFound('Case', caseId);
      return ctx.services.subscriptions.track(
        ctx,
        ctx.services.events.stream(caseId, args.afterSeq ?? undefined),
      );
    },
    resolve: (event) => event,
  }),
);
