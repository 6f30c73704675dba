import type { Command } from 'commander';

export interface ClientFlags {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

export interface Connection {
  url: string;
  apiKey?: string;
  json: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:8787';

/** Adds the flags every client command shares: where the server is, the key, JSON output. */
export function withClientOptions(command: Command): Command {
  return command
    .option('--url <url>', `server address (env LOOM_URL, default ${DEFAULT_URL})`)
    .option('--api-key <key>', 'API key (env LOOM_API_KEY)')
    .option('--json', 'machine-readable output (NDJSON for streams)');
}

/**
 * Flags win over the environment. The client commands talk to a server over the network, so
 * they read their own two variables here instead of the server's configuration.
 */
export function resolveConnection(
  flags: ClientFlags,
  env: Record<string, string | undefined> = process.env,
): Connection {
  const url = (flags.url ?? env.LOOM_URL ?? '').trim() || DEFAULT_URL;
  if (!/^https?:\/\/[^/\s]+/i.test(url)) {
    throw new UsageError(`--url must be an http:// or https:// address, not "${url}"`);
  }
  const apiKey = (flags.apiKey ?? env.LOOM_API_KEY ?? '').trim() || undefined;
  return { url, apiKey, json: Boolean(flags.json) };
}

/** A mistake in the command line itself, reported before anything is sent. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}
