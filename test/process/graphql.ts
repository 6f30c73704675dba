/** GraphQL over HTTP against a Loom at `url`, as any client would speak it. */
export async function gqlAt<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

export const CASE_EVENTS = `subscription($caseId: ID!, $afterSeq: Int) {
  caseEvents(caseId: $caseId, afterSeq: $afterSeq) {
    seq at type tool status message finding { kind value tools }
  }
}`;

export interface CaseEvent {
  seq: number;
  at: string;
  type: 'CASE_STATUS' | 'TOOL_STATUS' | 'TOOL_OUTPUT' | 'FINDING' | 'REPORT';
  tool: string | null;
  status: string | null;
  message: string | null;
  finding: { kind: string; value: string; tools: string[] } | null;
}

export const CREATE_CASE = `mutation($input: CreateCaseInput!) {
  createCase(input: $input) { id status toolRuns { id tool { name } status } }
}`;

export interface CreatedCase {
  createCase: { id: string; status: string; toolRuns: { id: string; tool: { name: string } }[] };
}

export const FINAL_CASE_STATUSES = ['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED'];

export const isFinalEvent = (e: CaseEvent) =>
  e.type === 'CASE_STATUS' && FINAL_CASE_STATUSES.includes(e.status ?? '');

export const CASE_RESULT = `query($id: ID!) {
  case(id: $id) {
    status
    report { markdown generator }
    toolRuns { tool { name } status error attempts findingCount warnings }
  }
}`;

export interface CaseResult {
  case: {
    status: string;
    report: { markdown: string; generator: string } | null;
    toolRuns: {
      tool: { name: string };
      status: string;
      error: string | null;
      attempts: number;
      findingCount: number;
      warnings: string[];
    }[];
  };
}

export interface FindingNode {
  kind: string;
  value: string;
  tools: string[];
  data: Record<string, unknown> | null;
}

// A literal page size: the query cost limit multiplies by it, and 50 rows stay well inside.
const FINDINGS_PAGE = `query($id: ID!, $after: String) {
  case(id: $id) {
    findings(first: 50, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { kind value tools data } }
    }
  }
}`;

/** Every finding of a case, paging through the connection as a client would. */
export async function allFindings(url: string, caseId: string): Promise<FindingNode[]> {
  const found: FindingNode[] = [];
  let after: string | null = null;
  for (;;) {
    const page: {
      case: {
        findings: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: FindingNode }[];
        };
      };
    } = await gqlAt(url, FINDINGS_PAGE, { id: caseId, after });
    const { edges, pageInfo, totalCount } = page.case.findings;
    found.push(...edges.map((e) => e.node));
    if (!pageInfo.hasNextPage) {
      if (found.length !== totalCount) {
        throw new Error(`paged ${found.length} findings but totalCount is ${totalCount}`);
      }
      return found;
    }
    after = pageInfo.endCursor;
  }
}

/** Statuses of one tool's TOOL_STATUS events, or of the CASE_STATUS events when tool is null. */
export function statusTrail(events: CaseEvent[], tool: string | null): (string | null)[] {
  return events
    .filter((e) => (tool === null ? e.type === 'CASE_STATUS' : e.type === 'TOOL_STATUS'))
    .filter((e) => tool === null || e.tool === tool)
    .map((e) => e.status);
}
