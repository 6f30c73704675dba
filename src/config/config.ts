import { z } from 'zod';

/**
 * Every setting Loom reads, parsed once at start-up. Nothing else in the code reads
 * `process.env`; modules receive the parsed `AppConfig` (or the part they need).
 */

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const urlOf = (protocol: RegExp, kind: string) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.url({ protocol, error: `must be ${kind} URL` }).optional())
    .optional();

const optionalUrl = urlOf(/^https?$/, 'an http(s)');

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : ['true', '1', 'yes'].includes(v)));

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? String(fallback) : v.trim()))
    .pipe(z.string().regex(/^-?\d+$/, 'must be an integer'))
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const configSchema = z.object({
  PORT: int(8787, 0, 65535),
  HOST: z.string().default('127.0.0.1'),
  ENVIRONMENT: z.enum(['development', 'production']).default('development'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: urlOf(/^postgres(ql)?$/, 'a postgres://'),
  DATABASE_POOL_MAX: int(10, 1, 200),
  REDIS_URL: urlOf(/^rediss?$/, 'a redis://'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OSINT_API_KEY: optionalString,
  ALLOWED_ORIGINS: list,
  ALLOWED_HOSTS: list,
  METRICS_PUBLIC: bool(true),
  MAX_SUBSCRIPTIONS_PER_KEY: int(100, 1, 100_000),
  // Proxies in front of Loom whose X-Forwarded-For entry is trusted (0: use the socket address).
  TRUST_PROXY_HOPS: int(0, 0, 10),

  // Operation limits, applied to HTTP, SSE and WebSocket operations alike.
  MAX_DEPTH: int(12, 1, 100),
  MAX_COST: int(5000, 1, 10_000_000),
  MAX_ALIASES: int(15, 0, 1000),
  MAX_DIRECTIVES: int(20, 0, 1000),
  MAX_TOKENS: int(2000, 10, 100_000),
  MAX_BODY_BYTES: int(100 * 1024, 1024, 64 * 1024 * 1024),
  WS_CONNECTION_INIT_TIMEOUT_MS: int(10_000, 100, 600_000),
  WS_MAX_MESSAGES_PER_SECOND: int(20, 1, 10_000),

  // Requests per minute per API key (per client address when anonymous); 0 turns a limit off.
  RATE_LIMIT_READS_PER_MINUTE: int(60, 0, 1_000_000),
  RATE_LIMIT_TOOLS_PER_MINUTE: int(30, 0, 1_000_000),
  RATE_LIMIT_CREATE_CASE_PER_MINUTE: int(10, 0, 1_000_000),
  RATE_LIMIT_CHAT_PER_MINUTE: int(20, 0, 1_000_000),
  RATE_LIMIT_WRITES_PER_MINUTE: int(30, 0, 1_000_000),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: int(30, 0, 1_000_000),
  RATE_LIMIT_KEY_PREFIX: z.string().trim().min(1).default('loom:rl'),

  WORKERS: int(1, 0, 64),
  MAX_CONCURRENT_RUNS: int(4, 1, 256),
  MAX_RUNS_PER_TOOL: int(2, 1, 64),
  TOOL_TIMEOUT_SECONDS: int(600, 1, 86_400),
  TOOL_OUTPUT_MAX_BYTES: int(2 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  RUN_LEASE_SECONDS: int(30, 2, 3600),

  SEARXNG_URL: optionalUrl,
  RECONNG_SSH_HOST: optionalString,
  RECONNG_SSH_PORT: int(22, 1, 65535),
  RECONNG_SSH_USER: optionalString,
  RECONNG_SSH_KEY: optionalString,
  RECONNG_SSH_KNOWN_HOSTS: optionalString,
  RECONNG_COMMAND: z.string().default('recon-cli'),
  RECONNG_SSH_KEEPALIVE_MS: int(10_000, 50, 600_000),
  RECONNG_SSH_KEEPALIVE_COUNT_MAX: int(3, 1, 100),
  RECONNG_SSH_READY_TIMEOUT_MS: int(10_000, 100, 120_000),
  // OpenSSH's MaxSessions defaults to 10 sessions per connection; stay below it.
  RECONNG_SSH_MAX_CHANNELS: int(8, 1, 64),
  RECONNG_SSH_MAX_CONNECTIONS: int(2, 1, 32),
  RECONNG_SSH_IDLE_MS: int(30_000, 0, 3_600_000),
  DOCKER_HOST: optionalString,
  CONTAINER_NETWORK_MODE: z.string().default('bridge'),
  CONTAINER_MEMORY_MB: int(1024, 16, 1_048_576),
  CONTAINER_CPUS: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? '1' : v.trim()))
    .pipe(z.string().regex(/^\d+(\.\d+)?$/, 'must be a number of CPUs'))
    .transform(Number)
    .pipe(z.number().positive().max(256)),
  CONTAINER_PIDS_LIMIT: int(256, 16, 65_536),
  THEHARVESTER_IMAGE: z.string().default('ghcr.io/laramies/theharvester:latest'),
  // The official images start the REST server; the CLI must be named explicitly.
  THEHARVESTER_ENTRYPOINT: z.string().default('theHarvester'),
  SHERLOCK_IMAGE: z.string().default('sherlock/sherlock:latest'),
  SHERLOCK_ENTRYPOINT: z.string().default('sherlock'),
  SPIDERFOOT_URL: optionalUrl,
  SPIDERFOOT_API_KEY: optionalString,
  INTELOWL_URL: optionalUrl,
  INTELOWL_API_KEY: optionalString,
  DNS_SERVERS: list,
  DNS_TIMEOUT_MS: int(3000, 100, 60_000),
  DNS_TRIES: int(2, 1, 10),
  CRTSH_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://crt.sh'),
  CRTSH_TIMEOUT_SECONDS: int(120, 1, 3600),
  CRTSH_MAX_BYTES: int(64 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  RDAP_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://rdap.org'),
  RDAP_TIMEOUT_SECONDS: int(30, 1, 600),
  TLS_CA_FILE: optionalString,

  LLM_PROVIDER: z.enum(['ollama', 'openai']).default('ollama'),
  OLLAMA_URL: optionalUrl,
  OLLAMA_MODEL: z.string().default('llama3.1'),
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_API_KEY: optionalString,
  OPENAI_MODEL: z.string().default('gpt-4o-mini'),
  LLM_TIMEOUT_SECONDS: int(120, 1, 3600),
  LLM_PROMPT_BUDGET_CHARS: int(24_000, 1000, 1_000_000),
  // Whole-answer caps on top of LLM_TIMEOUT_SECONDS, which bounds only the silence between chunks.
  LLM_NARRATIVE_MAX_SECONDS: int(600, 10, 86_400),
  LLM_CHAT_MAX_SECONDS: int(300, 5, 86_400),

  COUCHDB_URL: optionalUrl,
  COUCHDB_USER: optionalString,
  COUCHDB_PASS: optionalString,
  COUCHDB_DB: z.string().default('loom_cases'),
  // Catch-up of unarchived cases: first delay, doubled while CouchDB stays down, up to the max.
  ARCHIVE_RETRY_MIN_SECONDS: int(30, 1, 86_400),
  ARCHIVE_RETRY_MAX_SECONDS: int(900, 1, 86_400),
});

export type AppConfig = z.infer<typeof configSchema>;

/** A bootstrap admin key shorter than this is guessable; `openssl rand -base64 32` gives 44. */
const MIN_KEY_LENGTH = 16;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; every problem is reported together, each naming its variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }

  const config = result.data;
  if (config.ENVIRONMENT === 'production' && !config.OSINT_API_KEY) {
    throw new ConfigError(['OSINT_API_KEY: required when ENVIRONMENT=production']);
  }
  if (config.ENVIRONMENT === 'production' && config.OSINT_API_KEY!.length < MIN_KEY_LENGTH) {
    throw new ConfigError([
      `OSINT_API_KEY: must be at least ${MIN_KEY_LENGTH} characters in production`,
    ]);
  }
  return config;
}

/** A config for tests and tools: defaults plus the given overrides, without production checks. */
export function testConfig(overrides: Record<string, string | undefined> = {}): AppConfig {
  return configSchema.parse({ LOG_LEVEL: 'silent', ...overrides });
}
