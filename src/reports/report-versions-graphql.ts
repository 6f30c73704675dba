import { CaseRef } from '../cases/case-graphql.js';
import { builder } from '../graphql/builder.js';
import { ReportRef } from './report-graphql.js';
import { listReports } from './report-repository.js';

builder.objectField(CaseRef, 'reports', (t) =>
  t.field({
    type: [ReportRef],
    description: 'Every report version, oldest first: the structured report, then any narrative',
    resolve: (c, _args, ctx) => listReports(ctx.services.db, c.id),
  }),
);
