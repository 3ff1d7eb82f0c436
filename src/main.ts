import { startFencun } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';

/** How long a SIGTERM may take before the process leaves with work still in flight. */
const SHUTDOWN_DEADLINE_MS = 25_000;

/** `npm start`: load config, migrate, serve; stop gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      const lines = err.problems.map((p) => `  - ${p}`).join('\n');
      process.stderr.write(`Fencun cannot start: the configuration is invalid.\n${lines}\nSee the configuration table in README.md.\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const running = await startFencun(config, { log, defaultMetrics: true });
  const shutdown = (signal: string) => {
    log.info({ signal }, 'signal received: no new work is claimed; finishing what is in flight');
    // In-flight work ends well inside this: a WeCom call gives up after 10 s, open HTTP requests
    // are cut after 10 s. Past it, leave anyway: a lease still held runs out and another instance
    // takes the work over (a send's attempt is marked before it leaves, so it is resolved, not
    // repeated). Give the process manager a longer grace period (docker-compose.yml: 30 s).
    const deadline = setTimeout(() => {
      log.error({ signal, afterMs: SHUTDOWN_DEADLINE_MS }, 'shutdown did not finish in time; exiting with work in flight (its leases will run out and another instance takes it over)');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    running.stop().then(() => process.exit(0), (err) => {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`Fencun failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
