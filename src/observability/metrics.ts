import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric Loom exports, in one place. Labels stay low-cardinality: tool,
 * status, operation type — never a case id or a target.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'loom_' });

  const httpRequests = new Counter({
    name: 'loom_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'loom_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const graphqlOperations = new Counter({
    name: 'loom_graphql_operations_total',
    help: 'GraphQL operations by type and outcome',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const graphqlDuration = new Histogram({
    name: 'loom_graphql_operation_duration_seconds',
    help: 'GraphQL operation execution time',
    labelNames: ['type'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const casesCreated = new Counter({
    name: 'loom_cases_created_total',
    help: 'Cases created',
    registers: [registry],
  });
  const casesFinished = new Counter({
    name: 'loom_cases_finished_total',
    help: 'Cases that reached a final status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const activeCases = new Gauge({
    name: 'loom_active_cases',
    help: 'Cases queued, running or synthesizing (as seen by this process)',
    registers: [registry],
  });
  const toolRuns = new Counter({
    name: 'loom_tool_runs_total',
    help: 'Finished tool runs by tool and status',
    labelNames: ['tool', 'status'] as const,
    registers: [registry],
  });
  const toolRunDuration = new Histogram({
    name: 'loom_tool_run_duration_seconds',
    help: 'Tool run duration',
    labelNames: ['tool'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  const runningToolRuns = new Gauge({
    name: 'loom_tool_runs_running',
    help: 'Tool runs executing in this process',
    labelNames: ['tool'] as const,
    registers: [registry],
  });
  const subscriptionsOpen = new Gauge({
    name: 'loom_subscriptions_open',
    help: 'Open GraphQL subscriptions',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const dbPoolConnections = new Gauge({
    name: 'loom_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'loom_rate_limited_total',
    help: 'Requests refused by a rate limit, by operation class',
    labelNames: ['class'] as const,
    registers: [registry],
  });

  return {
    registry,
    httpRequests,
    httpDuration,
    graphqlOperations,
    graphqlDuration,
    casesCreated,
    casesFinished,
    activeCases,
    toolRuns,
    toolRunDuration,
    runningToolRuns,
    subscriptionsOpen,
    dbPoolConnections,
    rateLimited,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
