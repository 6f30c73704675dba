import { pino, type Logger } from 'pino';

import type { AppConfig } from '../config/config.js';

/** Paths whose values never reach a log line. */
const redact = [
  'apiKey',
  'password',
  'config.OSINT_API_KEY',
  'config.SPIDERFOOT_API_KEY',
  'config.INTELOWL_API_KEY',
  'config.OPENAI_API_KEY',
  'config.COUCHDB_PASS',
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'headers.authorization',
];

export function createLogger(config: Pick<AppConfig, 'LOG_LEVEL'>): Logger {
  return pino({
    level: config.LOG_LEVEL,
    base: { service: 'loom' },
    redact: { paths: redact, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
