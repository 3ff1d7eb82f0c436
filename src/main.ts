import { startFencun } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';

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
    log.info({ signal }, 'signal received');
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
