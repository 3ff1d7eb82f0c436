import { createServices } from '../app';
import { ConfigError, loadConfig, loadDatabaseConfig } from '../config';
import { createDataSource } from '../db/data-source';
import { Database } from '../db/database';
import { createLogger, Log } from '../log';
import { livePolicyOf } from '../policy/live';
import type { Services } from '../services';

/** CLI logs go to stderr so that command output on stdout stays clean for pipes. */
export function cliLogger(): Log {
  return createLogger(process.env.LOG_LEVEL ?? 'info', process.stderr as never);
}

/** Opens just the database (commands that need no WeCom settings). */
export async function withDatabase<T>(fn: (db: Database, log: Log) => Promise<T>): Promise<T> {
  const log = cliLogger();
  const dbConfig = guard(() => loadDatabaseConfig());
  const ds = createDataSource(dbConfig);
  await ds.initialize().catch((err: Error) => {
    throw new Error(`cannot open the database (${dbConfig.kind}): ${err.message}`);
  });
  try {
    return await fn(new Database(ds), log);
  } finally {
    await ds.destroy();
  }
}

/** Opens every service with the full configuration (commands that talk to WeCom). */
export async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const log = cliLogger();
  const config = guard(() => loadConfig());
  const services = await createServices(config, { log });
  // Commands judge by the policy the servers use: the version saved through the console, if any.
  await livePolicyOf(services).refresh({ force: true }).catch((err: Error) => log.warn({ err: err.message }, 'cannot read saved policy versions; using config/'));
  try {
    return await fn(services);
  } finally {
    await services.writer.idle();
    await services.db.ds.destroy();
  }
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`${err.message}. See the configuration table in README.md.`);
    throw err;
  }
}
