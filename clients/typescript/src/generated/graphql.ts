/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type CaseEventType =
  | 'CASE_STATUS'
  | 'FINDING'
  | 'REPORT'
  | 'TOOL_OUTPUT'
  | 'TOOL_STATUS';

export type CaseStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'PARTIAL'
  | 'QUEUED'
  | 'RUNNING'
  | 'SYNTHESIZING';

export type CreateCaseInput = {
  description?: string | null | undefined;
  target: string;
  title: string;
  toolOptions?: unknown;
  tools: Array<string>;
};

export type FindingKind =
  | 'ACCOUNT'
  | 'EMAIL'
  | 'HOST'
  | 'IP'
  | 'OTHER'
  | 'URL';

export type TargetKind =
  | 'DOMAIN'
  | 'EMAIL'
  | 'IP'
  | 'USERNAME';

export type ToolRunStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'TIMED_OUT';

export type ToolTransport =
  | 'DOCKER'
  | 'HTTP'
  | 'NATIVE'
  | 'SSH';

export type CaseSummaryFragment = { id: string, title: string, target: string, targetKind: TargetKind, status: CaseStatus, createdAt: string, startedAt: string | null, finishedAt: string | null };

export type ToolRunDetailFragment = { id: string, status: ToolRunStatus, startedAt: string | null, finishedAt: string | null, attempts: number, error: string | null, warnings: Array<string>, findingCount: number, tool: { name: string } };

export type CasesQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  status?: CaseStatus | null | undefined;
  search?: string | null | undefined;
}>;


export type CasesQuery = { cases: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, title: string, target: string, targetKind: TargetKind, status: CaseStatus, createdAt: string, startedAt: string | null, finishedAt: string | null, toolRuns: Array<{ status: ToolRunStatus, tool: { name: string } }> } }> } };

export type CaseDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type CaseDetailQuery = { case: { description: string | null, archiveStatus: string | null, id: string, title: string, target: string, targetKind: TargetKind, status: CaseStatus, createdAt: string, startedAt: string | null, finishedAt: string | null, toolRuns: Array<{ id: string, status: ToolRunStatus, startedAt: string | null, finishedAt: string | null, attempts: number, error: string | null, warnings: Array<string>, findingCount: number, tool: { name: string } }>, report: { generator: string, createdAt: string } | null } | null };

export type CaseFindingsQueryVariables = Exact<{
  id: string | number;
  kind?: FindingKind | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type CaseFindingsQuery = { case: { id: string, findings: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, kind: FindingKind, value: string, tools: Array<string> } }> } } | null };

export type CaseReportQueryVariables = Exact<{
  id: string | number;
}>;


export type CaseReportQuery = { case: { id: string, title: string, status: CaseStatus, report: { markdown: string, generator: string, createdAt: string } | null } | null };

export type CreateCaseMutationVariables = Exact<{
  input: CreateCaseInput;
}>;


export type CreateCaseMutation = { createCase: { id: string, title: string, target: string, targetKind: TargetKind, status: CaseStatus, createdAt: string, startedAt: string | null, finishedAt: string | null, toolRuns: Array<{ id: string, status: ToolRunStatus, startedAt: string | null, finishedAt: string | null, attempts: number, error: string | null, warnings: Array<string>, findingCount: number, tool: { name: string } }> } };

export type CancelCaseMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelCaseMutation = { cancelCase: { id: string, title: string, target: string, targetKind: TargetKind, status: CaseStatus, createdAt: string, startedAt: string | null, finishedAt: string | null } };

export type RetryToolRunMutationVariables = Exact<{
  id: string | number;
}>;


export type RetryToolRunMutation = { retryToolRun: { id: string, status: ToolRunStatus, startedAt: string | null, finishedAt: string | null, attempts: number, error: string | null, warnings: Array<string>, findingCount: number, tool: { name: string } } };

export type CaseEventsSubscriptionVariables = Exact<{
  caseId: string | number;
  afterSeq?: number | null | undefined;
}>;


export type CaseEventsSubscription = { caseEvents: { seq: number, at: string, type: CaseEventType, tool: string | null, runId: string | null, status: string | null, message: string | null, finding: { id: string, kind: FindingKind, value: string, tools: Array<string> } | null } };

export type CaseEventsAfterQueryVariables = Exact<{
  id: string | number;
  afterSeq: number;
}>;


export type CaseEventsAfterQuery = { case: { id: string, events: Array<{ seq: number }> } | null };

export type ToolsQueryVariables = Exact<{ [key: string]: never; }>;


export type ToolsQuery = { tools: Array<{ name: string, description: string, transport: ToolTransport, targetKinds: Array<TargetKind>, available: boolean, unavailableReason: string | null }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const CaseSummaryFragmentDoc = new TypedDocumentString(`
    fragment CaseSummary on Case {
  id
  title
  target
  targetKind
  status
  createdAt
  startedAt
  finishedAt
}
    `, {"fragmentName":"CaseSummary"}) as unknown as TypedDocumentString<CaseSummaryFragment, unknown>;
export const ToolRunDetailFragmentDoc = new TypedDocumentString(`
    fragment ToolRunDetail on ToolRun {
  id
  status
  startedAt
  finishedAt
  attempts
  error
  warnings
  findingCount
  tool {
    name
  }
}
    `, {"fragmentName":"ToolRunDetail"}) as unknown as TypedDocumentString<ToolRunDetailFragment, unknown>;
export const CasesDocument = new TypedDocumentString(`
    query Cases($first: Int, $after: String, $status: CaseStatus, $search: String) {
  cases(first: $first, after: $after, status: $status, search: $search) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...CaseSummary
        toolRuns {
          status
          tool {
            name
          }
        }
      }
    }
  }
}
    fragment CaseSummary on Case {
  id
  title
  target
  targetKind
  status
  createdAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<CasesQuery, CasesQueryVariables>;
export const CaseDetailDocument = new TypedDocumentString(`
    query CaseDetail($id: ID!) {
  case(id: $id) {
    ...CaseSummary
    description
    archiveStatus
    toolRuns {
      ...ToolRunDetail
    }
    report {
      generator
      createdAt
    }
  }
}
    fragment CaseSummary on Case {
  id
  title
  target
  targetKind
  status
  createdAt
  startedAt
  finishedAt
}
fragment ToolRunDetail on ToolRun {
  id
  status
  startedAt
  finishedAt
  attempts
  error
  warnings
  findingCount
  tool {
    name
  }
}`) as unknown as TypedDocumentString<CaseDetailQuery, CaseDetailQueryVariables>;
export const CaseFindingsDocument = new TypedDocumentString(`
    query CaseFindings($id: ID!, $kind: FindingKind, $first: Int, $after: String) {
  case(id: $id) {
    id
    findings(kind: $kind, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          kind
          value
          tools
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<CaseFindingsQuery, CaseFindingsQueryVariables>;
export const CaseReportDocument = new TypedDocumentString(`
    query CaseReport($id: ID!) {
  case(id: $id) {
    id
    title
    status
    report {
      markdown
      generator
      createdAt
    }
  }
}
    `) as unknown as TypedDocumentString<CaseReportQuery, CaseReportQueryVariables>;
export const CreateCaseDocument = new TypedDocumentString(`
    mutation CreateCase($input: CreateCaseInput!) {
  createCase(input: $input) {
    ...CaseSummary
    toolRuns {
      ...ToolRunDetail
    }
  }
}
    fragment CaseSummary on Case {
  id
  title
  target
  targetKind
  status
  createdAt
  startedAt
  finishedAt
}
fragment ToolRunDetail on ToolRun {
  id
  status
  startedAt
  finishedAt
  attempts
  error
  warnings
  findingCount
  tool {
    name
  }
}`) as unknown as TypedDocumentString<CreateCaseMutation, CreateCaseMutationVariables>;
export const CancelCaseDocument = new TypedDocumentString(`
    mutation CancelCase($id: ID!) {
  cancelCase(id: $id) {
    ...CaseSummary
  }
}
    fragment CaseSummary on Case {
  id
  title
  target
  targetKind
  status
  createdAt
  startedAt
  finishedAt
}`) as unknown as TypedDocumentString<CancelCaseMutation, CancelCaseMutationVariables>;
export const RetryToolRunDocument = new TypedDocumentString(`
    mutation RetryToolRun($id: ID!) {
  retryToolRun(id: $id) {
    ...ToolRunDetail
  }
}
    fragment ToolRunDetail on ToolRun {
  id
  status
  startedAt
  finishedAt
  attempts
  error
  warnings
  findingCount
  tool {
    name
  }
}`) as unknown as TypedDocumentString<RetryToolRunMutation, RetryToolRunMutationVariables>;
export const CaseEventsDocument = new TypedDocumentString(`
    subscription CaseEvents($caseId: ID!, $afterSeq: Int) {
  caseEvents(caseId: $caseId, afterSeq: $afterSeq) {
    seq
    at
    type
    tool
    runId
    status
    message
    finding {
      id
      kind
      value
      tools
    }
  }
}
    `) as unknown as TypedDocumentString<CaseEventsSubscription, CaseEventsSubscriptionVariables>;
export const CaseEventsAfterDocument = new TypedDocumentString(`
    query CaseEventsAfter($id: ID!, $afterSeq: Int!) {
  case(id: $id) {
    id
    events(afterSeq: $afterSeq, first: 1) {
      seq
    }
  }
}
    `) as unknown as TypedDocumentString<CaseEventsAfterQuery, CaseEventsAfterQueryVariables>;
export const ToolsDocument = new TypedDocumentString(`
    query Tools {
  tools {
    name
    description
    transport
    targetKinds
    available
    unavailableReason
  }
}
    `) as unknown as TypedDocumentString<ToolsQuery, ToolsQueryVariables>;