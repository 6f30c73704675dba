import type { AddressInfo } from 'node:net';

import { closeServices, createServices, type AppServices } from '../../src/app/services.js';
import { testConfig } from '../../src/config/config.js';
import { consoleRoute } from '../../src/console/console-route.js';
import { createLogger } from '../../src/observability/logger.js';
import { buildHttpApp, type HttpApp } from '../../src/server/http-server.js';
import type { ToolAdapter } from '../../src/tools/tool.js';

export interface ConsoleApp {
  url: string;
  services: AppServices;
  http: HttpApp;
  stop(): Promise<void>;
}

/** Loom on a loopback port with the development console route, as `loom serve` has it. */
export async function startConsoleApp(options: {
  tools: ToolAdapter[];
  env?: Record<string, string>;
}): Promise<ConsoleApp> {
  const config = testConfig({ RUN_LEASE_SECONDS: '3', DATA_DIR: 'memory://', ...options.env });
  const log = createLogger(config);
  const services = await createServices(config, log, { tools: options.tools, workers: true });
  const http = buildHttpApp(services, { routes: [consoleRoute(log)] });
  await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
  const { port } = http.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    services,
    http,
    stop: async () => {
      await http.close();
      await closeServices(services);
    },
  };
}
