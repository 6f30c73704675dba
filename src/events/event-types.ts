export const CASE_EVENT_TYPES = [
  'CASE_STATUS',
  'TOOL_STATUS',
  'TOOL_OUTPUT',
  'FINDING',
  'REPORT',
] as const;
export type CaseEventType = (typeof CASE_EVENT_TYPES)[number];

/** One stored case event; `seq` is dense and starts at 1 for every case. */
export interface CaseEventRecord {
  caseId: string;
  seq: number;
  type: CaseEventType;
  at: Date;
  tool: string | null;
  runId: string | null;
  status: string | null;
  message: string | null;
  findingId: string | null;
}

export type NewCaseEvent = Pick<CaseEventRecord, 'type'> &
  Partial<Pick<CaseEventRecord, 'tool' | 'runId' | 'status' | 'message' | 'findingId'>>;
