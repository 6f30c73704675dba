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
