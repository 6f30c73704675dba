import type { IncomingMessage } from 'node:http';

import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { CloseCode, makeServer } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

import type { AppServices } from '../app/services.js';
import { authenticate, authenticateCaller } from '../auth/authenticate.js';
import type { RateLimits } from '../auth/rate-limits.js';
import { AppError } from '../errors/app-error.js';
import type { Principal } from '../graphql/context.js';
import { clientAddressOf } from './client-address.js';
import { hideSuggestions, markLogged, tidyError } from './error-hygiene.js';
import { requestIdFrom } from './request-id.js';
import type { createLoomYoga, ServerContext } from './yoga.js';

type Yoga = ReturnType<typeof createLoomYoga>;
type Enveloped = ReturnType<Yoga['getEnveloped']>;

interface WsExtra {
  socket: WebSocket;
  request: ServerContext['req'];
  requestId: string;
  clientAddress: string;
  apiKey?: string;
  principal?: Principal;
  operations: Map<string, AbortController>;
  count: number;
}

// The close code of RFC 6455 for a peer breaking the server's rules.
const POLICY_VIOLATION = 1008;
const KEEPALIVE_MS = 12_000;

/**
 * graphql-ws on the HTTP server's `/graphql`, running every operation through Yoga's envelop so
 * the same limits, policy and masking apply as over HTTP. Keys come in `connectionParams.apiKey`:
 * none closes the socket with 4401, a wrong one with 4403. A socket sending messages faster
 * than WS_MAX_MESSAGES_PER_SECOND (after a burst of five seconds' worth) is closed with 1008.
 */
export function attachGraphqlWs(
  services: AppServices,
  yoga: Yoga,
  limits: RateLimits,
  wss: WebSocketServer,
): { dispose(): Promise<void> } {
  const { config, log } = services;
  const production = config.ENVIRONMENT === 'production';
  const envelopedBy = new WeakMap<object, Enveloped>();

  const server = makeServer<Record<string, unknown> | undefined, WsExtra>({
    connectionInitWaitTimeout: config.WS_CONNECTION_INIT_TIMEOUT_MS,

    onConnect: async (ctx) => {
      const key = ctx.connectionParams?.apiKey;
      const presented = typeof key === 'string' ? key : undefined;
      try {
        ctx.extra.principal = await authenticateCaller(
          services,
          limits,
          presented,
          ctx.extra.clientAddress,
        );
        ctx.extra.apiKey = presented;
        return true;
      } catch (err) {
        if (!(err instanceof AppError)) {
          log.error({ err, requestId: ctx.extra.requestId }, 'websocket authentication failed');
          ctx.extra.socket.close(CloseCode.InternalServerError, 'Internal server error');
        } else if (err.extensions.code === 'RATE_LIMITED') {
          ctx.extra.socket.close(CloseCode.Forbidden, 'Forbidden: too many invalid keys');
        } else if (presented) {
          ctx.extra.socket.close(CloseCode.Forbidden, 'Forbidden: the API key is not valid');
        } else {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized: an API key is required');
        }
        return false;
      }
    },

    onSubscribe: async (ctx, id, payload) => {
      const extra = ctx.extra;
      // Checked again per operation so that a key revoked since connecting stops working.
      let principal: Principal;
      try {
        principal = await authenticate(services, extra.apiKey);
      } catch (err) {
        extra.socket.close(CloseCode.Forbidden, 'Forbidden: the API key is no longer valid');
        return [err instanceof GraphQLError ? err : new AppError('UNAUTHENTICATED', 'refused')];
      }

      const controller = new AbortController();
      extra.operations.set(id, controller);
      extra.count += 1;
      const enveloped = yoga.getEnveloped({
        req: extra.request,
        wsPrincipal: principal,
        wsRequestId: `${extra.requestId}.${extra.count}`,
        request: { headers: new Headers(), signal: controller.signal },
        params: payload,
      } as never);

      let document;
      try {
        document = enveloped.parse(payload.query);
      } catch (err) {
        return [parseError(err)];
      }
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length > 0) return [...errors];

      const contextValue = await enveloped.contextFactory();
      envelopedBy.set(contextValue, enveloped);
      return {
        schema: enveloped.schema,
        operationName: payload.operationName,
        document,
        variableValues: payload.variables,
        contextValue,
      };
    },
    execute: (args: ExecutionArgs) => envelopedOf(args).execute(args),
    subscribe: (args: ExecutionArgs) => envelopedOf(args).subscribe(args),

    onNext: (_ctx, _id, _payload, _args, result) => clientResult(result as ExecutionResult),
    onError: (_ctx, _id, _payload, errors) => errors.map((error) => clientError(error)),
    onComplete: (ctx, id) => {
      ctx.extra.operations.get(id)?.abort();
      ctx.extra.operations.delete(id);
    },
  });

  function envelopedOf(args: ExecutionArgs): Enveloped {
    const enveloped = envelopedBy.get(args.contextValue as object);
    if (!enveloped) throw new Error('operation without its envelope');
    return enveloped;
  }

  /** What a client may see of an error: a code always; no HTTP internals, no hints in prod. */
  function clientError(error: GraphQLError) {
    tidyError(error, production);
    // `http` carries status and headers for HTTP responses; it means nothing on a socket.
    const extensions = { ...(error.extensions as Record<string, unknown>) };
    delete extensions.http;
    const json = error.toJSON();
    return {
      ...json,
      message: production ? hideSuggestions(json.message) : json.message,
      extensions: {
        ...extensions,
        code: typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR',
      },
    };
  }

  function clientResult(result: ExecutionResult) {
    if (!result.errors?.length) return result;
    return { ...result, errors: result.errors.map((error) => clientError(error)) } as never;
  }

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const req = request as ServerContext['req'];
    req.loomRequestId ??= requestIdFrom(req.headers['x-request-id']);
    req.loomClientAddress ??= clientAddressOf(req, config.TRUST_PROXY_HOPS);
    const extra: WsExtra = {
      socket,
      request: req,
      requestId: req.loomRequestId,
      clientAddress: req.loomClientAddress,
      operations: new Map(),
      count: 0,
    };
    const wsLog = log.child({ requestId: extra.requestId, clientAddress: extra.clientAddress });
    const allowance = messageAllowance(config.WS_MAX_MESSAGES_PER_SECOND);

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data, isBinary) => {
            if (socket.readyState !== socket.OPEN) return;
            if (!allowance()) {
              wsLog.warn('websocket closed for sending too many messages');
              socket.close(POLICY_VIOLATION, 'message rate limit exceeded');
              return;
            }
            if (isBinary) {
              socket.close(CloseCode.BadRequest, 'Invalid message received');
              return;
            }
            handle(String(data)).catch((err: unknown) => {
              wsLog.error({ err }, 'websocket message failed');
              markLogged(err);
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      extra,
    );

    // Pings find dead peers; a peer that does not answer within one period is dropped.
    let alive = true;
    socket.on('pong', () => {
      alive = true;
    });
    const keepalive = setInterval(() => {
      if (!alive) {
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, KEEPALIVE_MS);

    socket.on('error', (err) => wsLog.warn({ err }, 'websocket error'));
    socket.once('close', (code, reason) => {
      clearInterval(keepalive);
      for (const controller of extra.operations.values()) controller.abort();
      extra.operations.clear();
      closed(code, String(reason)).catch((err: unknown) => {
        wsLog.error({ err }, 'closing websocket operations failed');
      });
    });
  });

  return {
    dispose: async () => {
      for (const client of wss.clients) client.close(1001, 'Going away');
    },
  };
}

/** A token bucket: `perSecond` messages a second, bursts of five seconds' worth. */
function messageAllowance(perSecond: number): () => boolean {
  const capacity = perSecond * 5;
  let tokens = capacity;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(capacity, tokens + ((now - last) / 1000) * perSecond);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

function parseError(err: unknown): GraphQLError {
  if (err instanceof GraphQLError) {
    const extensions = err.extensions as Record<string, unknown>;
    if (typeof extensions.code !== 'string') extensions.code = 'GRAPHQL_PARSE_FAILED';
    return err;
  }
  return new GraphQLError('the query could not be parsed', {
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
  });
}
