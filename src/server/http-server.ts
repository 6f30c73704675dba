import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { handleProtocols } from 'graphql-ws';
import { WebSocketServer } from 'ws';

import type { AppServices } from '../app/services.js';
import { RateLimits } from '../auth/rate-limits.js';
import { clientAddressOf } from './client-address.js';
import { hostAllowed, originDecision, preflightHeaders } from './cross-origin.js';
import { sendError } from './error-response.js';
import { attachGraphqlWs } from './graphql-ws.js';
import { createHealth, type HealthExtra } from './health.js';
import { BodyError, readJsonBody } from './request-body.js';
import { requestIdFrom } from './request-id.js';
import { securityHeaders } from './security-headers.js';
import { createLoomYoga, type ServerContext } from './yoga.js';

export interface HttpApp {
  server: Server;
  yoga: ReturnType<typeof createLoomYoga>;
  limits: RateLimits;
  /** Stops accepting, closes WebSockets, and waits for open requests to end. */
  close(): Promise<void>;
}

export interface HttpAppOptions {
  health?: HealthExtra;
  /** Extra routes (the console in development); return true when handled. */
  routes?: ((req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>)[];
}

// Time allowed to send the request head and the whole request; responses (SSE) may last longer.
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** The HTTP server: /graphql (HTTP, SSE and graphql-ws), /health and /metrics. */
export function buildHttpApp(services: AppServices, options: HttpAppOptions = {}): HttpApp {
  const { metrics, config } = services;
  const limits = RateLimits.create(config, services.log);
  const yoga = createLoomYoga(services, { limits });
  const health = createHealth(services, options.health);
  const headers = securityHeaders(config);
  if (config.ENVIRONMENT === 'production' && config.ALLOWED_HOSTS.length === 0) {
    services.log.warn('ALLOWED_HOSTS is empty: requests for any host name are served');
  }

  const server = createServer((req: ServerContext['req'], res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    req.loomRequestId = requestId;
    req.loomClientAddress = clientAddressOf(req, config.TRUST_PROXY_HOPS);
    res.setHeader('X-Request-ID', requestId);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);

    const path = (req.url ?? '/').split('?')[0];
    const route = ['/graphql', '/health', '/metrics'].includes(path) ? path : 'other';
    const end = metrics.httpDuration.startTimer({ method: req.method ?? 'GET', route });
    res.on('finish', () => {
      end();
      metrics.httpRequests.inc({ method: req.method ?? 'GET', route, status: res.statusCode });
    });

    void handle(req, res, path).catch((err: unknown) => {
      services.log.error({ err, requestId }, 'request failed');
      sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error', { close: true });
    });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;

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
    if (!hostAllowed(config, req.headers.host)) {
      sendError(res, 400, 'HOST_NOT_ALLOWED', 'this host name is not served here', { close: true });
      return;
    }
    for (const route of options.routes ?? []) {
      if (await route(req, res)) return;
    }
    if (path === '/graphql') {
      await handleGraphql(req, res);
      return;
    }
    await yoga.requestListener(req, res);
  }

  async function handleGraphql(req: ServerContext['req'], res: ServerResponse) {
    const origin = originDecision(config, req.headers);
    if (!origin.allowed) {
      sendError(res, 403, 'ORIGIN_NOT_ALLOWED', `origin ${origin.origin} may not call this API`, {
        close: req.method !== 'GET' && req.method !== 'OPTIONS',
      });
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...preflightHeaders(origin), 'content-length': '0' }).end();
      return;
    }
    for (const [name, value] of Object.entries(origin.headers)) res.setHeader(name, value);

    if (req.method === 'POST') {
      try {
        // Yoga takes an already read body as it is; reading it here bounds it before parsing.
        (req as IncomingMessage & { body?: Buffer }).body = await readJsonBody(
          req,
          config.MAX_BODY_BYTES,
        );
      } catch (err) {
        if (!(err instanceof BodyError)) throw err;
        sendError(res, err.status, err.code, err.message, { close: err.unread });
        return;
      }
    }
    await yoga.requestListener(req, res);
  }

  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: config.MAX_BODY_BYTES,
    handleProtocols: (protocols) => handleProtocols(protocols),
    verifyClient: ({ req }, done) => {
      if (!hostAllowed(config, req.headers.host)) return done(false, 400, 'Host not allowed');
      if (!originDecision(config, req.headers).allowed)
        return done(false, 403, 'Origin not allowed');
      done(true);
    },
  });
  // The WebSocket server repeats the HTTP server's errors (a port in use); start-up reports those.
  wss.on('error', (err) => services.log.debug({ err }, 'websocket server error'));
  const ws = attachGraphqlWs(services, yoga, limits, wss);

  return {
    server,
    yoga,
    limits,
    close: async () => {
      await ws.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      await limits.close();
    },
  };
}
