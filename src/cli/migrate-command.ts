import { openDatabase } from '../db/database.js';
import { createLogger } from '../observability/logger.js';
import { loadConfigOrExit } from './serve-command.js';

export async function runMigrate(): Promise<number> {
  const config = loadConfigOrExit();
  const log = createLogger(config);
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolMax: 1,
  });
  try {
    await database.migrate();
    log.info({ driver: database.driver }, 'migrations applied');
    return 0;
  } catch (err) {
    log.error({ err }, 'migration failed');
    return 1;
  } finally {
    await database.close();
  }
}
