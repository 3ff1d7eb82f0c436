import type { Clock } from '../../src/clock';
import { systemClock } from '../../src/clock';
import type { Database } from '../../src/db/database';
import { Metrics } from '../../src/ops/metrics';
import { DEFAULT_OUTBOX_CONFIG, OutboxConfig } from '../../src/outbox/policy';
import { createOutbox, OutboxParts } from '../../src/outbox/service';
import type { NewIntent } from '../../src/outbox/types';
import type { OutboxWorkerHooks, OutboxWorkerOptions } from '../../src/outbox/worker';
import type { RunningSimulator } from '../../src/wecom-simulator';
import type { WecomClientOptions } from '../../src/wecom/client';
import { captureLog, CapturedLog } from '../helpers/logs';
import { makeClient } from '../wecom/support';

export interface Rig extends OutboxParts {
  logs: CapturedLog;
  metrics: Metrics;
}

/** An outbox (service + worker) on a database, sending to the simulator over HTTP. */
export function outboxRig(db: Database, sim: RunningSimulator, o: {
  clock?: Clock; config?: Partial<OutboxConfig>; worker?: Partial<Omit<OutboxWorkerOptions, 'instanceId'>>; hooks?: OutboxWorkerHooks;
  instanceId?: string; client?: Partial<WecomClientOptions>; timeZone?: string;
} = {}): Rig {
  const clock = o.clock ?? systemClock;
  // The client's own per-process limiter and its pause after 45009 run on the wall clock; these
  // tests drive a manual clock, so they are opened wide here: the outbox's pacing is under test.
  const wide = [{ limit: 1_000_000, windowMs: 60_000 }];
  const { sut: wecom, logs, metrics } = makeClient(db, sim, {
    clock, rateRules: { 'message/send:member': wide, 'webhook/send:robot': wide }, rateLimitPauseMs: 1, concurrencyPauseMs: 1, ...o.client,
  });
  const parts = createOutbox({
    db, wecom, clock, log: logs.log, metrics, timeZone: o.timeZone ?? 'Asia/Shanghai', instanceId: o.instanceId ?? 'rig',
    config: { ...DEFAULT_OUTBOX_CONFIG, ...o.config }, worker: { heartbeatMs: 0, idlePollMs: 20, ...o.worker }, hooks: o.hooks,
  });
  return { ...parts, logs, metrics };
}

export interface LedgerRow {
  seq: number;
  kind: string;
  at: number;
  ref: string;
  recipients: string[];
  sender?: string;
  content: { msgtype?: string; text?: unknown };
}

/** The simulator's ledger of deliveries, read over its admin HTTP API. */
export async function ledger(sim: RunningSimulator, kind?: string): Promise<LedgerRow[]> {
  const res = await fetch(`${sim.url}/__admin/ledger${kind ? `?kind=${kind}` : ''}`);
  if (!res.ok) throw new Error(`ledger: HTTP ${res.status}`);
  return (await res.json()) as LedgerRow[];
}

export async function adminPost(sim: RunningSimulator, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${sim.url}/__admin${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (!res.ok) throw new Error(`admin ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

export function textTo(toUser: string, content: string, key: string, dueAt: number): NewIntent {
  return { kind: 'app_message', toUser, message: { msgtype: 'text', text: { content } }, key, dueAt, origin: 'test' };
}

/** Content of an app-message ledger row. */
export function ledgerText(row: LedgerRow): string {
  return String((row.content as { text?: { content?: string } }).text?.content ?? '');
}
