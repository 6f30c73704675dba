import { readFileSync } from 'node:fs';

/** Loom's version from package.json, read once; the sources run in place, so the path is fixed. */
function readVersion(): string {
  try {
    const url = new URL('../../package.json', import.meta.url);
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const LOOM_VERSION = readVersion();

/** Sent with every outgoing request so operators of the services can tell who is calling. */
export const USER_AGENT = `Loom/${LOOM_VERSION} (+OSINT)`;
