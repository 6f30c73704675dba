import { builder, connectionType } from '../graphql/builder.js';
import { FINDING_KINDS } from './finding.js';
import type { FindingRecord } from './finding-repository.js';

export const FindingKindEnum = builder.enumType('FindingKind', { values: FINDING_KINDS });

export const FindingRef = builder.objectRef<FindingRecord>('Finding').implement({
  description: 'One distinct value found about the target, with every tool that found it',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: FindingKindEnum, resolve: (f) => f.kind }),
    value: t.exposeString('value'),
    tools: t.exposeStringList('tools'),
    data: t.field({ type: 'JSON', nullable: true, resolve: (f) => f.data ?? null }),
  }),
});

export const FindingConnection = connectionType<FindingRecord>('Finding', FindingRef);
