import type { InboxRepository, InboxRow, InboxStatus } from '../inbox/repository';
import type { JobRunRepository, JobRunRow } from '../jobs/repository';
import type { Metrics } from '../ops/metrics';
import type { OutboxRepository } from '../outbox/repository';
import type { OutboxStatus } from '../outbox/types';
import type { AdminRepository, AuditEntry, ErrcodeCount } from './repository';

const DAY_MS = 86_400_000;

export interface WecomErrorCount {
  errcode: string;
  endpoint: string;
  count: number;
}

/** Everything the Operations page shows, read at one moment. */
export interface OperationsSnapshot {
  now: number;
  inbox: Record<InboxStatus, number>;
  dead: InboxRow[];
  outbox: Record<OutboxStatus, number>;
  outboxFailures: ErrcodeCount[];
  jobs: JobRunRow[];
  /** From this instance's Prometheus registry: nothing stores WeCom API errors in the database. */
  wecomErrors: WecomErrorCount[];
  audit: AuditEntry[];
}

export interface OperationsDeps {
  inbox: InboxRepository;
  outbox: OutboxRepository;
  jobs: JobRunRepository;
  admin: AdminRepository;
  metrics: Metrics;
}

export const DEAD_SHOWN = 50;

export async function readOperations(d: OperationsDeps, now: number): Promise<OperationsSnapshot> {
  const [inbox, dead, outbox, outboxFailures, jobs, wecomErrors, audit] = await Promise.all([
    d.inbox.countsByStatus(),
    d.inbox.list({ status: 'dead', limit: DEAD_SHOWN }),
    d.outbox.countsByStatus(),
    d.admin.outboxFailuresByErrcode(now - DAY_MS),
    d.jobs.list({ limit: 30 }),
    wecomErrorsOf(d.metrics),
    d.admin.auditLog(30),
  ]);
  return { now, inbox, dead, outbox, outboxFailures, jobs, wecomErrors, audit };
}

/**
 * WeCom calls that did not answer errcode 0, by errcode and endpoint: the `_count` series of the
 * call-duration histogram. The registry is per process and since its start, so this is this
 * instance's view, not the corp's last day; the page says so.
 */
export async function wecomErrorsOf(metrics: Metrics): Promise<WecomErrorCount[]> {
  const m = await metrics.wecomCalls.get();
  const out: WecomErrorCount[] = [];
  for (const v of m.values) {
    if (!v.metricName?.endsWith('_count')) continue;
    const errcode = String(v.labels.errcode ?? '');
    if (errcode === '0' || v.value === 0) continue;
    out.push({ errcode, endpoint: String(v.labels.endpoint ?? ''), count: v.value });
  }
  return out.sort((a, b) => b.count - a.count || a.errcode.localeCompare(b.errcode));
}
