/** The kinds of thing a tool can find about a target. */
export const FINDING_KINDS = ['HOST', 'IP', 'EMAIL', 'URL', 'ACCOUNT', 'OTHER'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/**
 * One finding as a parser produces it: normalised value, optional structured detail.
 * Storage adds the id and the list of tools that found it.
 */
export interface ParsedFinding {
  kind: FindingKind;
  value: string;
  data?: Record<string, unknown>;
}
