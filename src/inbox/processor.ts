import { toWecomEvent } from '../callback/events';
import { parseWecomXml } from '../callback/xml';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { errorMessage } from '../errors';
import type { Log } from '../log';
import type { Metrics } from '../ops/metrics';
import type { HandlerRegistry } from './handlers';
import type { InboxRepository, InboxRow } from './repository';

export interface ProcessorOptions {
  instanceId: string;
  /** Attempts before an event is parked as dead. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt up to maxBackoffMs, with ±20% jitter. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** How long a claim is held; a worker that dies loses its events to others after this. */
  leaseMs: number;
  batchSize: number;
  /** Events of different customers handled side by side. */
  concurrency: number;
  idlePollMs: number;
}

export const defaultProcessorOptions: Omit<ProcessorOptions, 'instanceId'> = {
  maxAttempts: 8,
  baseBackoffMs: 2_000,
  maxBackoffMs: 30 * 60_000,
  leaseMs: 60_000,
  batchSize: 32,
  concurrency: 4,
  idlePollMs: 500,
};

/**
 * Works the inbox: claims due events, runs their handlers, marks them done, retries failures with exponential backoff, parks an event as dead after
 * maxAttempts. Several instances may run it at once; leases keep them apart.
 */
export class InboxProcessor {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly repo: InboxRepository,
    private readonly handlers: HandlerRegistry,
    private readonly opts: ProcessorOptions,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly metrics: Metrics,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.runLoop();
  }

  /** Stops claiming, lets in-flight events finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Processes everything due now; returns how many events were handled (tests, CLI). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      if (n === 0) return total;
      total += n;
    }
  }

  async runOnce(): Promise<number> {
    const now = this.clock().getTime();
    const rows = await this.repo.claim(this.opts.instanceId, now, now + this.opts.leaseMs, this.opts.batchSize);
    await mapWithConcurrency(rows, this.opts.concurrency, (row) => this.processOne(row));
    return rows.length;
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      let handled = 0;
      try {
        handled = await this.runOnce();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'inbox: could not claim events (database unavailable?); retrying');
      }
      if (handled === 0 && this.running) await this.sleep(this.opts.idlePollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async processOne(row: InboxRow): Promise<void> {
    const log = this.log.child({ inboxId: row.id, kind: row.kind });
    try {
      const event = toWecomEvent(parseWecomXml(row.payload));
      const now = this.clock();
      for (const handle of this.handlers.handlersFor(event.type)) {
        await handle({ db: this.db, inboxId: row.id, event, now, log });
      }
      if (!(await this.repo.markDone(row.id, this.opts.instanceId, this.clock().getTime()))) throw new LeaseLost();
      this.metrics.inboxProcessed.inc({ kind: row.kind, result: 'done' });
      this.metrics.processingLag.observe(Math.max(0, this.clock().getTime() - row.receivedAt) / 1000);
    } catch (err) {
      if (err instanceof LeaseLost) {
        log.warn('inbox: lease expired while handling; another instance has taken this event over');
        return;
      }
      await this.fail(row, err, log);
    }
  }

  private async fail(row: InboxRow, err: unknown, log: Log): Promise<void> {
    const message = errorMessage(err);
    const dead = row.attempts >= this.opts.maxAttempts;
    const retryAt = dead ? null : this.clock().getTime() + this.backoff(row.attempts);
    try {
      await this.repo.markFailed(row.id, this.opts.instanceId, message, retryAt);
    } catch (markErr) {
      // The lease will expire and the event will be claimed again; nothing is lost.
      log.error({ err: errorMessage(markErr) }, 'inbox: could not record a failure; the event will be retried after its lease expires');
      return;
    }
    this.metrics.inboxProcessed.inc({ kind: row.kind, result: dead ? 'dead' : 'retry' });
    if (dead) {
      log.error({ attempts: row.attempts, err: message },
        `inbox: event ${row.id} failed ${row.attempts} times and is parked as dead; fix the cause, then run: npx fencun inbox retry ${row.id}`);
    } else {
      log.warn({ attempts: row.attempts, retryAt: new Date(retryAt!).toISOString(), err: message }, 'inbox: handler failed; will retry');
    }
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.opts.baseBackoffMs * 2 ** (attempts - 1), this.opts.maxBackoffMs);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}

class LeaseLost extends Error {}

async function mapWithConcurrency<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
