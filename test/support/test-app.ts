import type { AddressInfo } from 'node:net';

import { dependencyHealth } from '../../src/app/dependency-health.js';
import { closeServices, createServices, type AppServices } from '../../src/app/services.js';
import { testConfig } from '../../src/config/config.js';
import type { Database } from '../../src/db/database.js';
import { createLogger } from '../../src/observability/logger.js';
import { buildHttpApp, type HttpApp } from '../../src/server/http-server.js';
import type { ToolAdapter } from '../../src/tools/tool.js';

export interface TestApp {
  url: string;
  services: AppServices;
  http: HttpApp;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  stop(): Promise<void>;
}

// Feature tests run far more operations a minute than a person does; the security tests set
// the rate limits they check.
const unlimitedRates = {
  RATE_LIMIT_READS_PER_MINUTE: '0',
  RATE_LIMIT_TOOLS_PER_MINUTE: '0',
  RATE_LIMIT_CREATE_CASE_PER_MINUTE: '0',
  RATE_LIMIT_CHAT_PER_MINUTE: '0',
  RATE_LIMIT_WRITES_PER_MINUTE: '0',
};

/** Loom on a loopback port with the given tools and settings. */
export async function startTestApp(options: {
  tools: ToolAdapter[];
  env?: Record<string, string>;
  database?: Database;
  workers?: boolean;
}): Promise<TestApp> {
  const config = testConfig({
    RUN_LEASE_SECONDS: '3',
    DATA_DIR: 'memory://',
    ...unlimitedRates,
    ...options.env,
  });
  const log = createLogger(config);
  const services = await createServices(config, log, {
    tools: options.tools,
    workers: options.workers ?? true,
    database: options.database,
  });
  const http = buildHttpApp(services, { health: dependencyHealth(services) });
  await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
  const { port } = http.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    services,
    http,
    gql: async (query, variables, headers) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return res.json() as never;
    },
    stop: async () => {
      await http.close();
      await closeServices(services);
    },
  };
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
