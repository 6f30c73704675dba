export {
  createLoomClient,
  websocketUrl,
  type LoomClient,
  type LoomClientOptions,
} from './client.js';
export {
  FINAL_CASE_STATUSES,
  isFinalCaseEvent,
  subscribeCaseEvents,
  type CaseEvent,
  type CaseEventsResult,
  type ReconnectInfo,
  type SubscribeCaseEventsOptions,
} from './case-events.js';
export { LoomError, type GraphqlErrorBody } from './errors.js';
export * from './generated/graphql.js';
export {
  CaseProgress,
  clip,
  type CaseHeader,
  type FindingProgress,
  type ToolProgress,
} from './case-progress.js';
export { formatDuration, plural } from './format.js';
