import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Logger } from 'pino';

import { buildConsoleAssets, CONSOLE_CSP, type ConsoleAsset } from './console-assets.js';

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Serves the web console at /console/ in development, bundled on the first request and kept in
 * memory. Production serves the same files from nginx instead.
 */
export function consoleRoute(log: Logger): Route {
  let assets: Promise<Map<string, ConsoleAsset>> | undefined;

  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/console' && !path.startsWith('/console/')) return false;

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    if (path === '/console') {
      res.writeHead(301, { location: '/console/' }).end();
      return true;
    }

    assets ??= buildConsoleAssets().catch((err: unknown) => {
      assets = undefined;
      throw err;
    });
    let files: Map<string, ConsoleAsset>;
    try {
      files = await assets;
    } catch (err) {
      log.error({ err }, 'building the console failed');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('the console could not be built; see the server log\n');
      return true;
    }

    const name = path.slice('/console/'.length) || 'index.html';
    const file = files.get(name);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return true;
    }
    res.writeHead(200, {
      'content-type': file.contentType,
      'content-length': file.body.length,
      'cache-control': 'no-cache',
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
