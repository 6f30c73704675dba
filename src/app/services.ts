import type { Logger } from 'pino';

import type { CaseArchive } from '../archive/couch-archive.js';
import type { AppConfig } from '../config/config.js';
import { CaseLifecycle } from '../cases/case-lifecycle.js';
import { CaseService } from '../cases/case-service.js';
import { openDatabase, type Database, type Db } from '../db/database.js';
import { CaseEventLog } from '../events/case-event-log.js';
import { createLocalEventBus, createRedisEventBus, type EventBus } from '../events/event-bus.js';
import { SubscriptionTracker } from '../graphql/subscription-tracker.js';
import { closeHttpClients } from '../http/client.js';
import type { LlmClient } from '../llm/llm-client.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { Worker } from '../runner/worker.js';
import { closeReconNgPools } from '../tools/recon-ng/index.js';
import type { ToolAdapter } from '../tools/tool.js';
import { ToolRegistry } from '../tools/tool-registry.js';
import { wireLlmAndArchive } from './llm-and-archive.js';

/** Everything a request, a worker or a command needs; built once per process. */
export interface AppServices {
  config: AppConfig;
  log: Logger;
  metrics: Metrics;
  database: Database;
  db: Db;
  bus: EventBus;
  events: CaseEventLog;
  registry: ToolRegistry;
  lifecycle: CaseLifecycle;
  caseService: CaseService;
  subscriptions: SubscriptionTracker;
  /** Present when an LLM is configured (OLLAMA_URL or OPENAI_BASE_URL). */
  llm?: LlmClient;
  /** Present when COUCHDB_URL is set. */
  archive?: CaseArchive;
  /** Present when this process runs workers. */
  worker?: Worker;
  /** Closes in reverse order of opening; see `closeServices`. */
  closers: { name: string; close: () => Promise<void> }[];
}

export interface ServiceOptions {
  tools: ToolAdapter[];
  /** Run tool workers in this process (default: WORKERS > 0). */
  workers?: boolean;
  /** An already open database (tests share one). */
  database?: Database;
}

export async function createServices(
  config: AppConfig,
  log: Logger,
  options: ServiceOptions,
): Promise<AppServices> {
  const closers: AppServices['closers'] = [];
  const metrics = createMetrics();

  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      poolMax: config.DATABASE_POOL_MAX,
    }));
  if (!options.database) closers.push({ name: 'database', close: () => database.close() });
  await database.migrate();
  log.info({ driver: database.driver }, 'database ready');

  const bus = config.REDIS_URL ? createRedisEventBus(config.REDIS_URL, log) : createLocalEventBus();
  closers.push({ name: 'event bus', close: () => bus.close() });

  const db = database.db;
  const events = new CaseEventLog(db, bus, log);
  const registry = new ToolRegistry(options.tools, config, log);
  const lifecycle = new CaseLifecycle({ db, events, metrics, log });
  const services: AppServices = {
    config,
    log,
    metrics,
    database,
    db,
    bus,
    events,
    registry,
    lifecycle,
    caseService: new CaseService({
      db,
      events,
      lifecycle,
      registry,
      metrics,
      log,
      wakeWorkers: () => services.worker?.wake(),
    }),
    subscriptions: new SubscriptionTracker(metrics, config.MAX_SUBSCRIPTIONS_PER_KEY),
    closers,
  };

  // Pooled tool connections close after the worker has stopped using them.
  closers.push({ name: 'http clients', close: closeHttpClients });
  closers.push({ name: 'recon-ng pools', close: closeReconNgPools });

  const runWorkers = options.workers ?? config.WORKERS > 0;
  wireLlmAndArchive(services, { catchUp: runWorkers });
  if (runWorkers) {
    const worker = new Worker({ db, events, lifecycle, registry, config, metrics, log });
    services.worker = worker;
    await worker.start();
    closers.push({ name: 'worker', close: () => worker.stop() });
  }
  return services;
}

/** Stops workers first, then the bus, then the database: the reverse of start-up. */
export async function closeServices(services: AppServices): Promise<void> {
  for (const closer of [...services.closers].reverse()) {
    try {
      await closer.close();
      services.log.info({ component: closer.name }, 'stopped');
    } catch (err) {
      services.log.error({ err, component: closer.name }, 'stopping failed');
    }
  }
}
