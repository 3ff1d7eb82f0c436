import fs from 'node:fs';
import path from 'node:path';
import { parseDatabaseUrl } from '../src/config';
import { createDataSource } from '../src/db/data-source';
import { Database } from '../src/db/database';
import { migrateWithLock } from '../src/db/migrate';
import { HandlerRegistry } from '../src/inbox/handlers';
import { InboxProcessor, defaultProcessorOptions } from '../src/inbox/processor';
import { InboxRepository, NewInboxRow } from '../src/inbox/repository';
import { Metrics } from '../src/ops/metrics';
import { createTestDatabase } from '../test/helpers/db';
import { captureLog } from '../test/helpers/logs';

/**
 * Inbox drain under a backlog: how fast the processor (default options, concurrency 4) works
 * through events when many customers are queued at once, the situation after an outage or a bulk
 * import (the chaos run queued 11k customers). Measured: the first BENCH_INBOX_MEASURE events of a
 * backlog of BENCH_INBOX_EVENTS events over BENCH_INBOX_KEYS customers. Baseline of the same run:
 * the same number of events of a single customer alone in the queue (one in flight at a time, so
 * no concurrency helps it). Handlers are empty: the figure is the inbox's own cost per event
 * (claim, XML parse, completion). A ratio near or below 1x means the backlog costs nothing.
 */
export async function benchInboxBacklog(): Promise<string[]> {
  const events = Number(process.env.BENCH_INBOX_EVENTS ?? 40_000);
  const keys = Number(process.env.BENCH_INBOX_KEYS ?? 10_000);
  const measured = Math.min(events, Number(process.env.BENCH_INBOX_MEASURE ?? 2_000));
  const kinds = (process.env.BENCH_INBOX_DB ?? 'sqlite,mariadb').split(',') as ('sqlite' | 'mariadb')[];
  const lines: string[] = [];
  for (const kind of kinds) {
    const single = await drainRate(kind, measured, 1, measured);
    const backlog = await drainRate(kind, events, keys, measured);
    lines.push(`${kind}: baseline (${measured} events of 1 customer): ${single.perEventMs.toFixed(2)} ms/event (${single.perSecond.toFixed(0)}/s)`);
    lines.push(`${kind}: backlog (first ${measured} of ${events} events over ${keys} customers): ${backlog.perEventMs.toFixed(2)} ms/event (${backlog.perSecond.toFixed(0)}/s) = ${(backlog.perEventMs / single.perEventMs).toFixed(2)}x the baseline`);
  }
  return lines;
}

const template = fs.readFileSync(path.join(__dirname, '../test/fixtures/wecom-events/edit_external_contact.xml'), 'utf8');

async function drainRate(kind: 'sqlite' | 'mariadb', events: number, keys: number, measured: number): Promise<{ perEventMs: number; perSecond: number }> {
  const database = await createTestDatabase(kind);
  const ds = createDataSource(parseDatabaseUrl(database.url)!);
  await ds.initialize();
  const { log } = captureLog('silent');
  try {
    await migrateWithLock(ds, log);
    const db = new Database(ds);
    const repo = new InboxRepository(db);
    const t0 = Date.parse('2026-03-02T01:00:00Z');
    // Interleaved as callbacks arrive: customer 0, 1, …, keys-1, 0, 1, …
    const rows: NewInboxRow[] = Array.from({ length: events }, (_, i) => {
      const customer = `wmBACKLOG${i % keys}`;
      return {
        dedupeKey: `bench:${i}`, kind: 'edit_external_contact', orderKey: `customer:${customer}`,
        payload: template.replace('woAJ2GCAAAXtWyujaWJHDDGi0mAAAA', customer).replace('1403610513', String(1700000000 + i)),
        eventTime: t0 + i, receivedAt: t0,
      };
    });
    for (let i = 0; i < rows.length; i += 1_000) await repo.insertMany(rows.slice(i, i + 1_000));
    let handled = 0;
    let reached!: () => void;
    const done = new Promise<void>((r) => (reached = r));
    const handlers = new HandlerRegistry().onEvery(async () => {
      if (++handled === measured) reached();
    });
    const clock = () => new Date(t0 + 1_000);
    const processor = new InboxProcessor(db, repo, handlers, { ...defaultProcessorOptions, instanceId: 'bench' }, clock, log, new Metrics());
    const started = process.hrtime.bigint();
    processor.start();
    await done;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    await processor.stop();
    return { perEventMs: ms / measured, perSecond: (measured / ms) * 1000 };
  } finally {
    await ds.destroy();
    await database.drop();
  }
}
