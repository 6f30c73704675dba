import type { IncomingMessage, ServerResponse } from 'node:http';

import { GraphQLError } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';

import type { AppServices } from '../app/services.js';
import { auditMutations } from '../auth/audit-mutations.js';
import { authenticate, authenticateCaller } from '../auth/authenticate.js';
import type { RateLimits } from '../auth/rate-limits.js';
import type { GraphQLContext, Principal } from '../graphql/context.js';
import { getSchema } from '../graphql/schema.js';
import { errorHygiene, markLogged, wasLogged } from './error-hygiene.js';
import { operationLimits } from './operation-limits.js';
import { operationPolicy } from './operation-policy.js';
import { rejectNulBytes } from './nul-bytes.js';

export interface ServerContext {
  req: IncomingMessage & { loomRequestId?: string; loomClientAddress?: string };
  res?: ServerResponse;
  /** Who sent an HTTP request, set once its key is checked. */
  principal?: Principal;
  /** Set for WebSocket operations, where the key came in the connection params. */
  wsPrincipal?: Principal;
  /** A WebSocket operation's own id (the connection's, plus a counter). */
  wsRequestId?: string;
}

/** The Yoga instance: schema, limits, masking, auth and per-request context. */
export function createLoomYoga(services: AppServices, deps: { limits: RateLimits }) {
  const { config } = services;
  const dev = config.ENVIRONMENT === 'development';

  return createYoga<ServerContext, GraphQLContext>({
    schema: auditMutations(getSchema()),
    graphqlEndpoint: '/graphql',
    graphiql: dev ? { title: 'Loom' } : false,
    landingPage: false,
    batching: false,
    multipart: false,
    // CORS is decided in the HTTP server, before Yoga: its default would echo any origin.
    cors: false,
    maxRequestBodySize: config.MAX_BODY_BYTES,
    maskedErrors: { isDev: dev },
    logging: yogaLogger(services.log),
    plugins: [
      authentication(services, deps.limits),
      ...operationLimits(config),
      operationMetrics(services),
      errorHygiene(config),
      operationPolicy({ limits: deps.limits, maxCost: config.MAX_COST }),
      rejectNulBytes(),
    ],
    context: async ({ req, request, principal, wsPrincipal, wsRequestId }) => {
      const requestId = wsRequestId ?? req?.loomRequestId ?? 'unknown';
      const clientAddress = req?.loomClientAddress ?? req?.socket?.remoteAddress ?? 'unknown';
      const caller =
        wsPrincipal ??
        principal ??
        (await authenticate(services, request.headers.get('x-api-key')));
      return {
        services,
        principal: caller,
        requestId,
        clientAddress,
        log: services.log.child({ requestId, key: caller.keyName }),
        signal: request?.signal,
      };
    },
  });
}

/** Checks the X-API-Key of an HTTP request once its parameters are read, before parsing. */
function authentication(services: AppServices, limits: RateLimits): Plugin {
  return {
    onParams: async ({ request, context }) => {
      const server = context as unknown as ServerContext;
      const address = server.req?.loomClientAddress ?? 'unknown';
      try {
        server.principal = await authenticateCaller(
          services,
          limits,
          request.headers.get('x-api-key'),
          address,
        );
      } catch (err) {
        if (!(err instanceof GraphQLError)) {
          services.log.error(
            { err, requestId: server.req?.loomRequestId },
            'authentication failed',
          );
          markLogged(err);
        }
        throw err;
      }
    },
  };
}

/** Yoga's own log lines through pino; errors already logged with their request id are not. */
function yogaLogger(log: Logger) {
  return {
    debug: (...args: unknown[]) => log.debug({ detail: args.map(String) }, 'graphql server'),
    info: (...args: unknown[]) => log.debug({ detail: args.map(String) }, 'graphql server'),
    warn: (...args: unknown[]) => log.warn({ detail: args.map(String) }, 'graphql server'),
    error: (...args: unknown[]) => {
      const [err] = args;
      if (wasLogged(err)) return;
      log.error({ err }, 'graphql request failed');
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
