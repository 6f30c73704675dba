import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

import type { AppServices } from '../app/services.js';
import { authenticate } from '../auth/authenticate.js';
import type { Principal } from '../graphql/context.js';
import { createHealth, type HealthExtra } from './health.js';
import { requestIdFrom } from './request-id.js';
import { createLoomYoga, type ServerContext } from './yoga.js';

export interface HttpApp {
  server: Server;
  yoga: ReturnType<typeof createLoomYoga>;
  /** Stops accepting, closes WebSockets, and waits for open requests to end. */
  close(): Promise<void>;
}

export interface HttpAppOptions {
  health?: HealthExtra;
  /** Extra routes (the console in development); return true when handled. */
  routes?: ((req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>)[];
}

/** The HTTP server: /graphql (HTTP, SSE and graphql-ws), /health and /metrics. */
export function buildHttpApp(services: AppServices, options: HttpAppOptions = {}): HttpApp {
  const yoga = createLoomYoga(services);
  const health = createHealth(services, options.health);
  const { metrics, config } = services;

  const server = createServer((req: ServerContext['req'], res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    req.loomRequestId = requestId;
    res.setHeader('X-Request-ID', requestId);

    const path = (req.url ?? '/').split('?')[0];
    const route = ['/graphql', '/health', '/metrics'].includes(path) ? path : 'other';
    const end = metrics.httpDuration.startTimer({ method: req.method ?? 'GET', route });
    res.on('finish', () => {
      end();
      metrics.httpRequests.inc({ method: req.method ?? 'GET', route, status: res.statusCode });
    });

    void handle(req, res, path).catch((err: unknown) => {
      services.log.error({ err, requestId }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal error"}');
    });
  });

  async function handle(req: ServerContext['req'], res: ServerResponse, path: string) {
    if (path === '/health' && req.method === 'GET') {
      const body = await health();
      res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      if (!config.METRICS_PUBLIC) {
        res.writeHead(404).end();
        return;
      }
      const pool = services.database.poolStats();
      metrics.dbPoolConnections.set({ state: 'total' }, pool.total);
      metrics.dbPoolConnections.set({ state: 'idle' }, pool.idle);
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    for (const route of options.routes ?? []) {
      if (await route(req, res)) return;
    }
    await yoga.requestListener(req, res);
  }

  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: 64 * 1024 });
  const wsDisposable = attachGraphqlWs(services, yoga, wss);

  return {
    server,
    yoga,
    close: async () => {
      await wsDisposable.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
    },
  };
}

type WsExtra = {
  request: IncomingMessage;
  principal?: Principal;
} & Record<PropertyKey, unknown>;

function attachGraphqlWs(
  services: AppServices,
  yoga: ReturnType<typeof createLoomYoga>,
  wss: WebSocketServer,
) {
  return useServer<Record<string, unknown> | undefined, WsExtra>(
    {
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const key = ctx.connectionParams?.apiKey;
        try {
          ctx.extra.principal = await authenticate(
            services,
            typeof key === 'string' ? key : undefined,
          );
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const req = ctx.extra.request as ServerContext['req'];
        req.loomRequestId ??= requestIdFrom(req.headers['x-request-id']);
        const enveloped = yoga.getEnveloped({
          req,
          wsPrincipal: ctx.extra.principal,
          request: { headers: new Headers(), signal: undefined },
          params: payload,
        });
        const args = {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document: enveloped.parse(payload.query),
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        const errors = enveloped.validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
      execute: (args) => (args.rootValue as { execute: (a: unknown) => never }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: (a: unknown) => never }).subscribe(args),
    },
    wss,
  );
}
