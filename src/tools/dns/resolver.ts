import { isIP } from 'node:net';
import { promises as dns } from 'node:dns';

import { ToolError } from '../tool.js';

/** How one query ended. NXDOMAIN and NODATA are answers, not failures. */
export type QueryOutcome<T> =
  | { status: 'ok'; records: T }
  | { status: 'NXDOMAIN' | 'NODATA' }
  | { status: 'failed'; code: string; message: string };

export interface DnsClientOptions {
  /** `ip`, `ip:port` or `[ipv6]:port`; empty means the machine's own resolvers. */
  servers: readonly string[];
  /** Per query: the resolver gives up after this many milliseconds times `tries`. */
  timeoutMs: number;
  tries: number;
  signal: AbortSignal;
}

export interface DnsClient {
  /** Servers actually asked, for messages. */
  readonly servers: readonly string[];
  query<T>(label: string, ask: (resolver: dns.Resolver) => Promise<T>): Promise<QueryOutcome<T>>;
  /** Cancels every query still in flight; call once the run is over. */
  close(): void;
}

const MISSING: Record<string, 'NXDOMAIN' | 'NODATA'> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NODATA',
};

/** Checks a DNS_SERVERS entry; returns why it is unusable, or undefined when it is fine. */
export function invalidServer(entry: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const hostPort = /^([^:]+):(\d+)$/.exec(entry);
  const [address, port] = bracketed
    ? [bracketed[1], bracketed[2]]
    : hostPort
      ? [hostPort[1], hostPort[2]]
      : [entry, undefined];

  if (isIP(address) === 0) return `DNS server "${entry}" is not an IP address (optionally :port)`;
  if (bracketed && isIP(address) !== 6) return `DNS server "${entry}" puts an IPv4 in brackets`;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return `DNS server "${entry}" has a port outside 1-65535`;
  }
  return undefined;
}

export function createDnsClient(options: DnsClientOptions): DnsClient {
  const problems = options.servers.map(invalidServer).filter((p): p is string => Boolean(p));
  if (problems.length > 0) throw new ToolError(`DNS_SERVERS: ${problems.join('; ')}`);

  const resolver = new dns.Resolver({ timeout: options.timeoutMs, tries: options.tries });
  if (options.servers.length > 0) resolver.setServers([...options.servers]);
  const servers = resolver.getServers();

  // c-ares stretches its own timeout between tries, so each query also gets a hard deadline.
  const deadlineMs = options.timeoutMs * options.tries;
  const onAbort = () => resolver.cancel();
  options.signal.addEventListener('abort', onAbort, { once: true });

  async function query<T>(
    label: string,
    ask: (r: dns.Resolver) => Promise<T>,
  ): Promise<QueryOutcome<T>> {
    if (options.signal.aborted) return failed('ECANCELLED', `${label}: cancelled`);

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<QueryOutcome<T>>((resolve) => {
      timer = setTimeout(
        () => resolve(failed('ETIMEOUT', `${label}: no answer within ${deadlineMs} ms`)),
        deadlineMs,
      );
    });
    const answer = ask(resolver).then(
      (records): QueryOutcome<T> => ({ status: 'ok', records }),
      (err: NodeJS.ErrnoException): QueryOutcome<T> => {
        const code = err.code ?? 'EUNKNOWN';
        const missing = MISSING[code];
        return missing ? { status: missing } : failed(code, `${label}: ${code}`);
      },
    );

    try {
      return await Promise.race([answer, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    servers,
    query,
    close() {
      options.signal.removeEventListener('abort', onAbort);
      resolver.cancel();
    },
  };
}

function failed(
  code: string,
  message: string,
): { status: 'failed'; code: string; message: string } {
  return { status: 'failed', code, message };
}
