import type { IncomingMessage, ServerResponse } from 'node:http';

import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';

import type { AppServices } from '../app/services.js';
import { authenticate } from '../auth/authenticate.js';
import type { GraphQLContext, Principal } from '../graphql/context.js';
import { getSchema } from '../graphql/schema.js';

export interface ServerContext {
  req: IncomingMessage & { loomRequestId?: string };
  res?: ServerResponse;
  /** Set for WebSocket operations, where the key came in the connection params. */
  wsPrincipal?: Principal;
}

/** The Yoga instance: schema, limits, masking, auth and per-request context. */
export function createLoomYoga(services: AppServices) {
  const { config } = services;
  const dev = config.ENVIRONMENT === 'development';

  return createYoga<ServerContext, GraphQLContext>({
    schema: getSchema(),
    graphqlEndpoint: '/graphql',
    graphiql: dev ? { title: 'Loom' } : false,
    landingPage: false,
    batching: false,
    maskedErrors: { isDev: dev },
    logging: false,
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: 12 },
        costLimit: { maxCost: 5000 },
        maxAliases: { n: 15 },
        maxDirectives: { n: 20 },
        maxTokens: { n: 2000 },
        blockFieldSuggestion: { enabled: !dev },
      }),
      ...(dev ? [] : [disableIntrospection()]),
      operationMetrics(services),
    ],
    context: async ({ req, request, wsPrincipal }): Promise<GraphQLContext> => {
      const requestId = req?.loomRequestId ?? 'ws';
      const clientAddress = req?.socket?.remoteAddress ?? 'unknown';
      const principal =
        wsPrincipal ?? (await authenticate(services, request.headers.get('x-api-key')));
      return {
        services,
        principal,
        requestId,
        clientAddress,
        log: services.log.child({ requestId, key: principal.keyName }),
        signal: request?.signal,
      };
    },
  });
}

function disableIntrospection(): Plugin {
  return {
    onValidate: ({ addValidationRule }) => {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

function operationMetrics(services: AppServices): Plugin {
  return {
    onExecute: ({ args }) => {
      const type = operationType(args.document, args.operationName);
      const end = services.metrics.graphqlDuration.startTimer({ type });
      return {
        onExecuteDone: ({ result }) => {
          end();
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length;
          services.metrics.graphqlOperations.inc({ type, outcome: failed ? 'error' : 'ok' });
        },
      };
    },
    onSubscribe: ({ args }) => {
      services.metrics.graphqlOperations.inc({
        type: operationType(args.document, args.operationName),
        outcome: 'subscribed',
      });
    },
  };
}

function operationType(
  document: {
    definitions: readonly { kind: string; operation?: string; name?: { value: string } }[];
  },
  name?: string | null,
): string {
  const ops = document.definitions.filter((d) => d.kind === 'OperationDefinition');
  const op = name ? ops.find((d) => d.name?.value === name) : ops[0];
  return op?.operation ?? 'unknown';
}
