import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * All Prometheus metrics, on a registry of their own (one per app instance, so tests can run
 * several apps in one process). Gauges that mirror the database are filled at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly callbacks = new Counter({
    name: 'fencun_callbacks_total',
    help: 'WeCom callbacks by outcome: stored, duplicate, verified (URL check), or the refusal reason',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'fencun_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly inboxProcessed = new Counter({
    name: 'fencun_inbox_processed_total',
    help: 'Inbox events handled, by kind and result (done, retry, transient, dead)',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });

  readonly inboxLeasesLost = new Counter({
    name: 'fencun_inbox_leases_lost_total',
    help: 'Inbox runs whose lease was lost mid-handler (not renewed in time); their outcome was not recorded',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly processingLag = new Histogram({
    name: 'fencun_inbox_processing_lag_seconds',
    help: 'Time from a callback being stored to its processing finishing',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly inboxDepth = new Gauge({
    name: 'fencun_inbox_events',
    help: 'Inbox events by status (dead events need an operator: npx fencun inbox list --dead)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly inboxOldestAge = new Gauge({
    name: 'fencun_inbox_oldest_unprocessed_age_seconds',
    help: 'Age of the oldest event not yet processed (0 when the inbox is drained)',
    registers: [this.registry],
  });

  readonly jobRuns = new Counter({
    name: 'fencun_job_runs_total',
    help: 'Scheduled job runs by job and result',
    labelNames: ['job', 'result'] as const,
    registers: [this.registry],
  });

  readonly wecomCalls = new Histogram({
    name: 'fencun_wecom_api_call_duration_seconds',
    help: 'WeCom API calls by endpoint and errcode (transport errors as "network")',
    labelNames: ['endpoint', 'errcode'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Filled at scrape time by the outbox (createOutbox): depth by status and the oldest due intent. */
  outboxSource: (() => Promise<{ counts: Record<string, number>; oldestDueAgeSeconds: number }>) | null = null;

  readonly outboxDepth = new Gauge({
    name: 'fencun_outbox_intents',
    help: 'Outbox intents by status (failed and unknown need an operator: npx fencun outbox list --status unknown)',
    labelNames: ['status'] as const,
    registers: [this.registry],
    collect: async () => {
      const s = await this.outboxSource?.().catch(() => null);
      if (s) for (const [status, n] of Object.entries(s.counts)) this.outboxDepth.set({ status }, n);
    },
  });

  readonly outboxOldestDueAge = new Gauge({
    name: 'fencun_outbox_oldest_due_age_seconds',
    help: 'How long the oldest due, unsent intent has been due (0 when nothing is waiting)',
    registers: [this.registry],
    // Its own read: a scrape collects every metric at once, so the depth's read is not awaited first.
    collect: async () => {
      const s = await this.outboxSource?.().catch(() => null);
      if (s) this.outboxOldestDueAge.set(s.oldestDueAgeSeconds);
    },
  });

  readonly outboxOutcomes = new Counter({
    name: 'fencun_outbox_outcomes_total',
    help: 'Outbox attempts by kind, outcome (sent, awaiting, failed, skipped, unknown, retry, outcome_unknown, deferred) and WeCom errcode',
    labelNames: ['kind', 'outcome', 'errcode'] as const,
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'fencun_' });
  }
}
