import { toWecomEvent } from '../callback/events';
import { parseWecomXml } from '../callback/xml';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { errorMessage } from '../errors';
import type { Log } from '../log';
import type { Metrics } from '../ops/metrics';
import { LeaseHeartbeat, PollLoop } from '../outbox/loop';
import { decideFailure } from './failures';
import type { HandlerRegistry } from './handlers';
import type { InboxRepository, InboxRow } from './repository';

export interface ProcessorOptions {
  /** Names this process in lease_owner (for operators); claims carry their own random token. */
  instanceId: string;
  /** Non-transient failures before an event is parked as dead. */
  maxAttempts: number;
  /** An event failing (transiently or not) for this long since its first failure is parked as dead. */
  failureBudgetMs: number;
  /** Claims that ran out without an outcome (the process died on the event) before it is parked as poison. */
  maxAbandonedClaims: number;
  /** First retry delay; doubles per attempt up to maxBackoffMs, with ±20% jitter. A retryAfterMs on the error wins. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** How long a claim is held without renewal; a worker that dies loses its event to others after this. */
  leaseMs: number;
  /** How often running events' leases are renewed (default leaseMs / 3); 0: only when renewLeases() is called (tests). */
  heartbeatMs?: number;
  /** Events (of different order keys) handled side by side; a claim takes only as many as there are free slots. */
  concurrency: number;
  idlePollMs: number;
}

export const defaultProcessorOptions: Omit<ProcessorOptions, 'instanceId'> = {
  maxAttempts: 8,
  failureBudgetMs: 24 * 3_600_000,
  maxAbandonedClaims: 3,
  baseBackoffMs: 2_000,
  maxBackoffMs: 30 * 60_000,
  leaseMs: 60_000,
  concurrency: 4,
  idlePollMs: 500,
};

interface Run {
  row: InboxRow;
  token: string;
  leaseUntil: number;
  /** Aborted when the lease is lost: the handler should stop, its outcome will not be recorded. */
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Works the inbox: claims as many due head events as it has free slots, runs their handlers under
 * a lease it renews while they run, marks them done, retries failures with backoff, parks events
 * as dead by the failure rules (failures.ts). Several instances may run it at once: each claim has
 * its own token, and a renewal, completion or failure whose token no longer owns the event writes
 * nothing.
 */
export class InboxProcessor {
  private readonly loop: PollLoop;
  private readonly inFlight = new Map<number, Run>();
  private readonly heartbeat: LeaseHeartbeat;

  constructor(
    private readonly db: Database,
    private readonly repo: InboxRepository,
    private readonly handlers: HandlerRegistry,
    private readonly opts: ProcessorOptions,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly metrics: Metrics,
  ) {
    // More may be due while slots are free; otherwise wait for a slot, a new event or the poll.
    this.loop = new PollLoop(async () => (await this.fill()) > 0 && this.inFlight.size < this.opts.concurrency, opts.idlePollMs,
      (err) => log.error({ err: errorMessage(err) }, 'inbox: could not claim events (database unavailable?); retrying'));
    this.heartbeat = new LeaseHeartbeat(opts.heartbeatMs ?? Math.floor(opts.leaseMs / 3), () => this.renewLeases());
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming, lets in-flight events finish (their leases still renewed). */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.idle();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Processes everything due now, slot by slot; returns how many events were handled (tests, CLI). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      total += await this.fill();
      if (this.inFlight.size === 0) return total;
      await Promise.race([...this.inFlight.values()].map((r) => r.done));
    }
  }

  /** Claims for the free slots, runs those events to the end; returns how many were claimed. */
  async runOnce(): Promise<number> {
    const before = new Set(this.inFlight.keys());
    const n = await this.fill();
    await Promise.all([...this.inFlight.values()].filter((r) => !before.has(r.row.id)).map((r) => r.done));
    return n;
  }

  /** Events whose handlers are running here now. */
  get inFlightIds(): number[] {
    return [...this.inFlight.keys()];
  }

  /**
   * Renews the lease of every event running here (the heartbeat timer calls this every
   * leaseMs/3). A renewal that finds the token no longer owning the event means the lease was
   * lost: the handler is told to stop (ctx.signal) and its outcome will write nothing.
   */
  async renewLeases(): Promise<void> {
    await Promise.all([...this.inFlight.values()].map(async (run) => {
      if (run.abort.signal.aborted) return;
      const leaseUntil = this.clock().getTime() + this.opts.leaseMs;
      try {
        if (await this.repo.renewLease(run.row.id, run.token, leaseUntil)) {
          run.leaseUntil = leaseUntil;
          return;
        }
        this.loseLease(run, 'another claim owns it now');
      } catch (err) {
        // Keep trying on the next beat; once the lease has run out by our own clock, assume it is gone.
        if (this.clock().getTime() >= run.leaseUntil) this.loseLease(run, `could not renew: ${errorMessage(err)}`);
        else this.log.warn({ inboxId: run.row.id, err: errorMessage(err) }, 'inbox: could not renew a lease; will try again');
      }
    }));
  }

  private loseLease(run: Run, why: string): void {
    run.abort.abort();
    this.metrics.inboxLeasesLost.inc({ kind: run.row.kind });
    this.log.warn({ inboxId: run.row.id, kind: run.row.kind }, `inbox: lease lost while handling (${why}); this run's outcome will not be recorded`);
  }

  /** Waits for every event running here to finish. */
  private async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((r) => r.done));
  }

  /** Claims at most as many events as there are free slots, and starts them. */
  private async fill(): Promise<number> {
    const free = this.opts.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    const { claimed, parked } = await this.repo.claim({
      instanceId: this.opts.instanceId, now: this.clock().getTime(), leaseMs: this.opts.leaseMs, limit: free,
      maxAbandoned: this.opts.maxAbandonedClaims,
    });
    this.reportParked(parked);
    this.startRuns(claimed);
    // A parked poison event frees its key at once: its successor may start in this same pass.
    return claimed.length + (parked.length > 0 ? await this.fill() : 0);
  }

  private reportParked(parked: InboxRow[]): void {
    for (const row of parked) {
      this.metrics.inboxProcessed.inc({ kind: row.kind, result: 'dead' });
      this.log.error({ inboxId: row.id, kind: row.kind, claims: row.abandoned },
        `inbox: event ${row.id} was claimed ${row.abandoned} times and never completed (a worker died on it each time); parked as dead. Fix the cause, then run: npx fencun inbox retry ${row.id}`);
    }
  }

  private startRuns(claimed: InboxRow[]): void {
    for (const row of claimed) {
      const run: Run = { row, token: row.leaseToken!, leaseUntil: row.leaseUntil!, abort: new AbortController(), done: Promise.resolve() };
      run.done = this.processOne(run).finally(() => {
        this.inFlight.delete(row.id);
        if (this.inFlight.size === 0) this.heartbeat.stop();
        this.wake();
      });
      this.inFlight.set(row.id, run);
    }
    // The heartbeat runs only while events run here.
    if (claimed.length > 0) this.heartbeat.start();
  }

  private async processOne(run: Run): Promise<void> {
    const { row, token } = run;
    const log = this.log.child({ inboxId: row.id, kind: row.kind });
    try {
      const event = toWecomEvent(parseWecomXml(row.payload));
      const now = this.clock();
      for (const handle of this.handlers.handlersFor(event.type)) {
        if (run.abort.signal.aborted) throw new LeaseLost();
        await handle({ db: this.db, inboxId: row.id, event, now, log, signal: run.abort.signal });
      }
      if (!(await this.repo.markDone(row.id, token, this.clock().getTime(), row.orderKey))) throw new LeaseLost();
      this.metrics.inboxProcessed.inc({ kind: row.kind, result: 'done' });
      this.metrics.processingLag.observe(Math.max(0, this.clock().getTime() - row.receivedAt) / 1000);
    } catch (err) {
      if (err instanceof LeaseLost) {
        log.warn('inbox: lease lost while handling; another claim owns this event, so this run records nothing');
        return;
      }
      await this.fail(run, err, log);
    }
  }

  private async fail(run: Run, err: unknown, log: Log): Promise<void> {
    const { row, token } = run;
    const message = errorMessage(err);
    const d = decideFailure(row, err, this.clock().getTime(), this.opts);
    let recorded: boolean;
    try {
      recorded = await this.repo.markFailed(row.id, token, { error: message, retryAt: d.retryAt, failures: d.failures, firstFailedAt: d.firstFailedAt }, row.orderKey);
    } catch (markErr) {
      // The lease will expire and the event will be claimed again; nothing is lost.
      log.error({ err: errorMessage(markErr) }, 'inbox: could not record a failure; the event will be retried after its lease expires');
      return;
    }
    if (!recorded) {
      log.warn({ err: message }, 'inbox: handler failed after its lease was lost; another claim owns this event, so this failure records nothing');
      return;
    }
    const dead = d.retryAt === null;
    this.metrics.inboxProcessed.inc({ kind: row.kind, result: dead ? 'dead' : d.transient ? 'transient' : 'retry' });
    if (dead) {
      log.error({ attempts: row.attempts, failures: d.failures, err: message },
        `inbox: event ${row.id} ${d.deadReason} and is parked as dead; fix the cause, then run: npx fencun inbox retry ${row.id}`);
    } else {
      log.warn({ attempts: row.attempts, failures: d.failures, transient: d.transient, retryAt: new Date(d.retryAt!).toISOString(), err: message },
        d.transient ? 'inbox: handler hit a transient failure; will retry (does not count towards parking)' : 'inbox: handler failed; will retry');
    }
  }
}

class LeaseLost extends Error {}
