import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';

import { builder } from './builder.js';
// Each feature registers its types, queries, mutations and subscriptions on the builder.
import '../tools/tool-graphql.js';
import '../findings/finding-graphql.js';
import '../reports/report-graphql.js';
import '../runs/run-graphql.js';
import '../cases/case-graphql.js';
import '../events/event-graphql.js';
import '../reports/report-versions-graphql.js';
import '../chat/chat-graphql.js';
import '../auth/api-key-graphql.js';

let schema: GraphQLSchema | undefined;

export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The SDL committed as schema.graphql; sorted so the file diffs cleanly. */
export function printLoomSchema(): string {
  return `${printSchema(lexicographicSortSchema(getSchema()))}\n`;
}
