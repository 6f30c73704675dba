import { builder } from '../graphql/builder.js';
import type { ReportRow } from './report-repository.js';

export const ReportRef = builder.objectRef<ReportRow>('Report').implement({
  description: 'A written report of a case; `generator` is `loom` or the model that wrote it',
  fields: (t) => ({
    markdown: t.exposeString('markdown'),
    generator: t.exposeString('generator'),
    createdAt: t.field({ type: 'DateTime', resolve: (r) => r.createdAt }),
  }),
});
