import { builder, PageInfo } from '../graphql/builder.js';
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

const FindingEdge = builder
  .objectRef<{ cursor: string; node: FindingRecord }>('FindingEdge')
  .implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: FindingRef, resolve: (e) => e.node }),
    }),
  });

export interface FindingConnectionShape {
  edges: { cursor: string; node: FindingRecord }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: number;
}

export const FindingConnection = builder
  .objectRef<FindingConnectionShape>('FindingConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [FindingEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
      totalCount: t.exposeInt('totalCount'),
    }),
  });
