import fs from 'node:fs';
import path from 'node:path';
import { startTestApp, TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { createTestDatabase } from '../helpers/db';
import { postCallback, signedPost } from '../helpers/wecom-callback';

/**
 * Invariants under attack (issue 10, points 1 and 2):
 * - an event is leased when its handler starts, under its own token; a renewed lease keeps every
 *   other instance off it; a completion or failure whose token lost the lease writes nothing;
 * - a claim takes only as many events as there are free slots;
 * - never two events of one order key in flight at once, across instances;
 * - the claim picks the head of every order key, however many rows wait behind a head in backoff.
 * Lease expiry is driven by a manual clock and automatic heartbeats are off (heartbeatMs: 0), so
 * each renewal happens exactly where the test calls renewLeases().
 */

const template = fs.readFileSync(path.join(__dirname, '../fixtures/wecom-events/edit_external_contact.xml'), 'utf8');

function editEvent(customer: string, seq: number): string {
  return template.replace('woAJ2GCAAAXtWyujaWJHDDGi0mAAAA', customer).replace('1403610513', String(1700000000 + seq));
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `n` handlers have entered. */
function counter(n: number): { hit(): void; reached: Promise<void> } {
  const d = deferred();
  let seen = 0;
  return { hit: () => ++seen >= n && d.resolve(), reached: d.promise };
}

async function rowsOf(app: TestApp, customer: string) {
  return app.services.db.query<{ id: unknown; status: string; processed_at: unknown; lease_token: string | null; last_error: string | null }>(
    'SELECT id, status, processed_at, lease_token, last_error FROM inbox_events WHERE order_key = ? ORDER BY id', [`customer:${customer}`]);
}

const LEASE = 10_000;

describe('inbox leases', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  const clock = manualClock();
  const runs: { instance: string; inboxId: number; customer: string }[] = [];

  beforeEach(async () => {
    runs.length = 0;
    database = await createTestDatabase();
    const processor = { leaseMs: LEASE, heartbeatMs: 0, concurrency: 4, baseBackoffMs: 1_000 };
    a = await startTestApp({ capabilities: false, clock, database, processor });
    b = await startTestApp({ capabilities: false, clock, database, processor });
  });

  afterEach(async () => {
    await a.stop();
    await b.stop();
    await database.drop();
  });

  it('should keep a renewed lease past its first expiry: no second run, and the key\'s next event waits', async () => {
    const held = deferred();
    const entered = deferred();
    a.services.handlers.on('edit_external_contact', async ({ inboxId, event }) => {
      runs.push({ instance: 'a', inboxId, customer: event.externalUserId });
      if (inboxId === firstId) {
        entered.resolve();
        await held.promise;
      }
    });
    b.services.handlers.on('edit_external_contact', async ({ inboxId, event }) => {
      runs.push({ instance: 'b', inboxId, customer: event.externalUserId });
    });
    await postCallback(a.url, signedPost(editEvent('wmHELD', 1)));
    await postCallback(a.url, signedPost(editEvent('wmHELD', 2)));
    const [first, second] = await rowsOf(a, 'wmHELD');
    const firstId = Number(first.id);

    const draining = a.services.processor.drain();
    await entered.promise;
    expect(a.services.processor.inFlightIds).toEqual([firstId]); // the key's second event was not claimed with it
    for (let beat = 0; beat < 3; beat++) {
      clock.advance(LEASE * 0.6);
      await a.services.processor.renewLeases();
      clock.advance(LEASE * 0.6); // past the lease as it stood before this renewal
      expect(await b.services.processor.drain()).toBe(0);
    }
    expect(runs).toEqual([{ instance: 'a', inboxId: firstId, customer: 'wmHELD' }]);

    held.resolve();
    expect(await draining).toBe(2);
    expect(runs.map((r) => [r.instance, r.inboxId])).toEqual([['a', firstId], ['a', Number(second.id)]]);
    expect((await rowsOf(a, 'wmHELD')).map((r) => r.status)).toEqual(['done', 'done']);
  });

  it('should let a lost lease\'s late completion and late failure write nothing', async () => {
    const held = deferred();
    const entered = counter(2);
    const signals: AbortSignal[] = [];
    a.services.handlers.on('edit_external_contact', async ({ event, signal }) => {
      signals.push(signal!);
      entered.hit();
      await held.promise;
      if (event.externalUserId === 'wmFAILS') throw new Error('failed long after the lease was gone');
    });
    b.services.handlers.on('edit_external_contact', async ({ inboxId, event }) => {
      runs.push({ instance: 'b', inboxId, customer: event.externalUserId });
    });
    await postCallback(a.url, signedPost(editEvent('wmDONE', 1)));
    await postCallback(a.url, signedPost(editEvent('wmFAILS', 2)));

    const draining = a.services.processor.drain();
    await entered.reached;
    // A is cut off from the database: no renewal for a whole lease. B takes both over.
    clock.advance(LEASE + 1);
    expect(await b.services.processor.drain()).toBe(2);
    const afterB = [...(await rowsOf(a, 'wmDONE')), ...(await rowsOf(a, 'wmFAILS'))];
    expect(afterB.map((r) => r.status)).toEqual(['done', 'done']);

    // A comes back: its next heartbeat finds the leases gone and tells the handlers to stop.
    clock.advance(5_000);
    await a.services.processor.renewLeases();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    held.resolve();
    await draining;

    const afterA = [...(await rowsOf(a, 'wmDONE')), ...(await rowsOf(a, 'wmFAILS'))];
    expect(afterA).toEqual(afterB); // same status, processed_at, no error: A wrote nothing
    expect(a.logs.find('lease lost')).not.toHaveLength(0);
    expect(await (await fetch(a.url + '/metrics')).text()).toMatch(/fencun_inbox_leases_lost_total\{kind="edit_external_contact"\} 2/);
  });

  it('should not start an older event of a key (requeued from dead, or committed late) while a newer one is in flight', async () => {
    const held = deferred();
    const entered = deferred();
    a.services.handlers.on('edit_external_contact', async ({ inboxId }) => {
      runs.push({ instance: 'a', inboxId, customer: 'wmREQUEUE' });
      entered.resolve();
      await held.promise;
    });
    b.services.handlers.on('edit_external_contact', async ({ inboxId }) => {
      runs.push({ instance: 'b', inboxId, customer: 'wmREQUEUE' });
    });
    await postCallback(a.url, signedPost(editEvent('wmREQUEUE', 1)));
    await postCallback(a.url, signedPost(editEvent('wmREQUEUE', 2)));
    const [older, newer] = (await rowsOf(a, 'wmREQUEUE')).map((r) => Number(r.id));
    await a.services.db.exec("UPDATE inbox_events SET status = 'dead' WHERE id = ?", [older]); // parked earlier

    const draining = a.services.processor.drain();
    await entered.promise;
    expect(a.services.processor.inFlightIds).toEqual([newer]);
    // The operator requeues the older event while the newer one runs on A.
    expect(await b.services.inbox.retry(older, clock().getTime())).toBe(true);
    expect(await b.services.processor.drain()).toBe(0);
    held.resolve();
    expect(await draining).toBe(2); // once the newer one is done, the requeued one is the key's head
    expect(runs.map((r) => [r.instance, r.inboxId])).toEqual([['a', newer], ['a', older]]);
  });

  it('should claim only as many events as it has free slots, leaving the rest to another instance', async () => {
    const held = deferred();
    const entered = counter(2);
    const a2 = await startTestApp({ capabilities: false, clock, database, processor: { leaseMs: LEASE, heartbeatMs: 0, concurrency: 2 } });
    try {
      a2.services.handlers.on('edit_external_contact', async ({ inboxId, event }) => {
        runs.push({ instance: 'a2', inboxId, customer: event.externalUserId });
        entered.hit();
        await held.promise;
      });
      b.services.handlers.on('edit_external_contact', async ({ inboxId, event }) => {
        runs.push({ instance: 'b', inboxId, customer: event.externalUserId });
      });
      for (let i = 0; i < 5; i++) await postCallback(a.url, signedPost(editEvent(`wmSLOT${i}`, i)));

      const draining = a2.services.processor.drain();
      await entered.reached;
      const [processing] = await a.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM inbox_events WHERE status = 'processing'");
      expect(Number(processing.n)).toBe(2);
      // The three A2 has no slot for were never leased to it: B handles them while A2 is busy.
      expect(await b.services.processor.drain()).toBe(3);
      held.resolve();
      expect(await draining).toBe(2);
      expect(runs.filter((r) => r.instance === 'b')).toHaveLength(3);
      expect(new Set(runs.map((r) => r.inboxId)).size).toBe(5);
    } finally {
      await a2.stop();
    }
  });

  it('should process an unrelated customer on the next poll while 10,000 events of one key wait behind a head in backoff', async () => {
    a.services.handlers.on('edit_external_contact', async ({ inboxId, event }) => {
      if (event.externalUserId === 'wmBUSY') throw new Error('this customer\'s downstream is down');
      runs.push({ instance: 'a', inboxId, customer: event.externalUserId });
    });
    await postCallback(a.url, signedPost(editEvent('wmBUSY', 0)));
    expect(await a.services.processor.runOnce()).toBe(1); // the head fails and backs off
    const now = clock().getTime();
    const backlog = Array.from({ length: 9_999 }, (_, i) => ({
      dedupeKey: `bulk:${i}`, kind: 'edit_external_contact', orderKey: 'customer:wmBUSY',
      payload: editEvent('wmBUSY', i + 1), eventTime: now, receivedAt: now,
    }));
    for (let i = 0; i < backlog.length; i += 1_000) await a.services.inbox.insertMany(backlog.slice(i, i + 1_000));
    await postCallback(a.url, signedPost(editEvent('wmCALM', 1)));

    expect(await a.services.processor.runOnce()).toBe(1);
    expect((await rowsOf(a, 'wmCALM')).map((r) => r.status)).toEqual(['done']);
    const busy = await rowsOf(a, 'wmBUSY');
    expect(busy).toHaveLength(10_000);
    expect(busy.every((r) => r.status === 'pending')).toBe(true);
    expect(runs.map((r) => r.customer)).toEqual(['wmCALM']);
  });
});
