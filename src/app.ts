import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Clock, systemClock } from './clock';
import type { Config } from './config';
import { createDataSource } from './db/data-source';
import { Database } from './db/database';
import { migrateWithLock } from './db/migrate';
import { createHttpApp } from './http/server';
import { HandlerRegistry } from './inbox/handlers';
import { defaultProcessorOptions, InboxProcessor, ProcessorOptions } from './inbox/processor';
import { recordEvent } from './inbox/record-event';
import { InboxRepository } from './inbox/repository';
import { InboxWriter } from './inbox/writer';
import { JobRunner } from './jobs/runner';
import { allJobs } from './jobs/registry';
import { registerCustomerData } from './contacts/register';
import { createJudgement } from './judgement';
import { registerJudgementHandlers } from './judgement/handlers';
import { createLogger, Log } from './log';
import { loadPolicyConfig } from './policy/config';
import { livePolicyOf } from './policy/live';
import { Metrics } from './ops/metrics';
import { createOutbox } from './outbox/service';
import type { OutboxWorkerHooks, OutboxWorkerOptions } from './outbox/worker';
import { registerReminderCardEvents } from './reminders/card-events';
import { ReminderStore } from './reminders/repository';
import type { Services } from './services';
import { WecomClient } from './wecom/client';

export interface FencunOptions {
  clock?: Clock;
  log?: Log;
  processor?: Partial<Omit<ProcessorOptions, 'instanceId'>>;
  /** Collect Node process metrics (off in tests, which run many apps in one process). */
  defaultMetrics?: boolean;
  /** Folder of the policy files (tiers.json, pressure.json…); default config/. */
  configDir?: string;
  /**
   * Register the capabilities' event handlers (contacts, groups, tags, messages). Off only for
   * tests of the inbox mechanism itself, which register handlers of their own.
   */
  capabilities?: boolean;
  /** Outbox worker options, and test seams (never set in production). */
  outbox?: Partial<Omit<OutboxWorkerOptions, 'instanceId'>>;
  outboxHooks?: OutboxWorkerHooks;
}

/** Opens the database (without migrating) and wires every service. */
export async function createServices(config: Config, opts: FencunOptions = {}): Promise<Services> {
  const log = opts.log ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  // Policy files are checked before the database is touched: a typo fails fast and says where.
  const policy = loadPolicyConfig(opts.configDir);
  const ds = createDataSource(config.database);
  try {
    await ds.initialize();
  } catch (err) {
    throw new Error(`cannot open the database at ${redactUrl(config.database.url)}: ${(err as Error).message}`);
  }
  const db = new Database(ds);
  const metrics = new Metrics({ defaultMetrics: opts.defaultMetrics });
  const inbox = new InboxRepository(db);
  const writer = new InboxWriter(inbox,
    db.dialect === 'mysql' ? { maxInFlight: 4, gatherMs: 1 } : { maxInFlight: 1, gatherMs: 0 });
  const handlers = new HandlerRegistry().onEvery(recordEvent);
  const processor = new InboxProcessor(db, inbox, handlers,
    { ...defaultProcessorOptions, failureBudgetMs: config.inbox.failureBudgetMs, ...opts.processor, instanceId: config.instanceId }, clock, log, metrics);
  writer.onStored(() => processor.wake());
  const judgement = createJudgement({ db, policy, timeZone: config.timezone, clock, log });
  const wecom = new WecomClient({ config: config.wecom, db, clock, log, metrics });
  const outbox = createOutbox({
    db, wecom, clock, log, metrics, timeZone: config.timezone, instanceId: config.instanceId, configDir: opts.configDir, worker: opts.outbox, hooks: opts.outboxHooks,
  });
  const services: Services = {
    config, db, clock, log, metrics, inbox, writer, handlers, processor, judgement, wecom, reminders: new ReminderStore(db),
    outbox: outbox.service, outboxWorker: outbox.worker,
  };
  if (opts.capabilities !== false) {
    registerCustomerData(services, wecom);
    registerJudgementHandlers(handlers, judgement);
    registerReminderCardEvents(services);
  }
  return services;
}

export interface RunningFencun {
  services: Services;
  server: http.Server;
  url: string;
  jobs: JobRunner;
  stop(): Promise<void>;
}

/** What `npm start` does: migrate under a lock, serve HTTP, work the inbox, run scheduled jobs. */
export async function startFencun(config: Config, opts: FencunOptions & { runJobs?: boolean; runProcessor?: boolean; runOutbox?: boolean } = {}): Promise<RunningFencun> {
  const services = await createServices(config, opts);
  const { log } = services;
  await migrateWithLock(services.db.ds, log);
  // A policy saved through the console (policy_versions) replaces config/ here, and is polled for.
  const livePolicy = livePolicyOf(services);
  await livePolicy.refresh({ force: true });
  livePolicy.start();
  const app = createHttpApp(services);
  const server = http.createServer(app.callback());
  // WeCom gives up on a callback after 5 s; never let a slow client hold a socket forever.
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${address.port}`;
  const jobs = new JobRunner(services, allJobs());
  if (opts.runProcessor !== false) services.processor.start();
  // The outbox sends real messages: it runs with the inbox worker unless asked separately.
  if (opts.runOutbox ?? opts.runProcessor !== false) services.outboxWorker.start();
  if (opts.runJobs !== false) jobs.start();
  log.info({ url, database: config.database.kind, timezone: config.timezone, wecomApi: config.wecom.apiBase }, 'Fencun is serving');

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down: no new requests; finishing in-flight work');
      livePolicy.stop();
      // All at once: every loop stops claiming now (one stopped after another would keep
      // claiming while the first finishes), then each finishes what it holds.
      await Promise.all([closeGracefully(server), jobs.stop(), services.processor.stop(), services.outboxWorker.stop()]);
      await services.writer.idle();
      await services.db.ds.destroy();
      log.info('shut down cleanly');
    })());
  return { services, server, url, jobs, stop };
}

/**
 * Stops accepting, lets in-flight requests finish, and closes keep-alive connections as soon as
 * they go idle (they would otherwise hold shutdown for the keep-alive timeout). After 10 s the
 * remaining connections are cut: WeCom retries anything it did not get an answer for.
 */
async function closeGracefully(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => server.closeAllConnections(), 10_000);
  server.closeIdleConnections();
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
