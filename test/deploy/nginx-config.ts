import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export const NGINX = '/usr/sbin/nginx';
export const haveNginx = existsSync(NGINX);

export interface NginxPlaces {
  /** Directory for the pid file and temporary files. */
  prefix: string;
  /** Replaces /usr/share/nginx/html (the console is built under it). */
  htmlDir: string;
  apiPort: number;
  /** Port of the TLS server block, served as plain HTTP in the test. */
  mainPort: number;
  /** Port of the HTTP server block (redirects and health). */
  redirectPort: number;
}

/**
 * nginx.prod.conf adapted to run here: loopback ports, temporary paths, the test server as the
 * only upstream and no TLS. Each replacement must match, so a change to the production file
 * that the test no longer covers fails loudly instead of passing untested.
 */
export function adaptNginxConfig(production: string, places: NginxPlaces): string {
  let text = production;
  const replace = (pattern: RegExp, value: string) => {
    if (!pattern.test(text)) throw new Error(`nginx.prod.conf no longer contains ${pattern}`);
    text = text.replace(pattern, value);
  };

  replace(/pid \/tmp\/nginx\.pid;/, `pid ${places.prefix}/nginx.pid;`);
  // Node hands the child sockets, not pipes, and /dev/stderr cannot be opened on a socket.
  replace(/error_log \/dev\/stderr/, `error_log ${places.prefix}/error.log`);
  replace(/access_log \/dev\/stdout/, `access_log ${places.prefix}/access.log`);
  replace(/\/tmp\/nginx-/g, `${places.prefix}/nginx-`);
  replace(/root \/usr\/share\/nginx\/html;/, `root ${places.htmlDir};`);
  replace(/server api:8787 [^;]*;/, `server 127.0.0.1:${places.apiPort};`);
  replace(/\n\s*listen \[::\]:\d+[^;]*;/g, '');
  replace(/listen 8080;/, `listen 127.0.0.1:${places.redirectPort};`);
  replace(/listen 8443 ssl http2;/, `listen 127.0.0.1:${places.mainPort};`);
  replace(/\n\s*ssl_[a-z_]+ [^;]*;/g, '');
  return text;
}

/** A port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs Debian's nginx in the foreground with the given configuration file. */
export function startNginx(
  conf: string,
  prefix: string,
): { child: ChildProcess; log: () => string } {
  let log = '';
  const child = spawn(NGINX, ['-c', conf, '-p', `${prefix}/`, '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  return { child, log: () => log };
}
