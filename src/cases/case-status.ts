export const CASE_STATUSES = [
  'QUEUED',
  'RUNNING',
  'SYNTHESIZING',
  'COMPLETED',
  'PARTIAL',
  'FAILED',
  'CANCELLED',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const FINAL_CASE_STATUSES: readonly CaseStatus[] = [
  'COMPLETED',
  'PARTIAL',
  'FAILED',
  'CANCELLED',
];

export const TOOL_RUN_STATUSES = [
  'QUEUED',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
] as const;
export type ToolRunStatus = (typeof TOOL_RUN_STATUSES)[number];

export const ACTIVE_RUN_STATUSES: readonly ToolRunStatus[] = ['QUEUED', 'RUNNING'];

export const isFinalCaseStatus = (status: string) =>
  (FINAL_CASE_STATUSES as readonly string[]).includes(status);

export const isActiveRunStatus = (status: string) =>
  (ACTIVE_RUN_STATUSES as readonly string[]).includes(status);

/** The final status a case earns from its runs' outcomes. */
export function outcomeOf(runStatuses: string[], cancelled: boolean): CaseStatus {
  if (cancelled) return 'CANCELLED';
  const succeeded = runStatuses.filter((s) => s === 'SUCCEEDED').length;
  if (succeeded === runStatuses.length) return 'COMPLETED';
  if (succeeded === 0 && runStatuses.every((s) => s !== 'CANCELLED')) return 'FAILED';
  return succeeded === 0 ? 'CANCELLED' : 'PARTIAL';
}
