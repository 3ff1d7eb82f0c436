import fs from 'node:fs';
import path from 'node:path';
import { startTestApp, TestApp } from '../helpers/app';
import { manualClock } from '../helpers/clock';
import { createTestDatabase } from '../helpers/db';
import { postCallback, signedPost } from '../helpers/wecom-callback';

const template = fs.readFileSync(path.join(__dirname, '../fixtures/wecom-events/edit_external_contact.xml'), 'utf8');

/** An edit_external_contact event for a customer; `seq` makes each one distinct. */
function editEvent(customer: string, seq: number): string {
  return template.replace('woAJ2GCAAAXtWyujaWJHDDGi0mAAAA', customer).replace('1403610513', String(1700000000 + seq));
}

async function statusOf(app: TestApp, customer: string): Promise<string[]> {
  const rows = await app.services.db.query<{ status: string }>(
    'SELECT status FROM inbox_events WHERE order_key = ? ORDER BY id', [`customer:${customer}`]);
  return rows.map((r) => r.status);
}

describe('inbox processor', () => {
  it('should retry a failing handler with backoff, park it as dead, and process it after a retry', async () => {
    const clock = manualClock();
    const app = await startTestApp({ capabilities: false, clock, processor: { maxAttempts: 3, baseBackoffMs: 1_000 } });
    try {
      let failing = true;
      app.services.handlers.on('edit_external_contact', async () => {
        if (failing) throw new Error('contact service unavailable');
      });
      await postCallback(app.url, signedPost(editEvent('wmFAIL', 1)));
      const p = app.services.processor;

      expect(await p.drain()).toBe(1);
      expect(await statusOf(app, 'wmFAIL')).toEqual(['pending']);
      expect(await p.drain()).toBe(0); // not due before its backoff
      clock.advance(1_300);
      expect(await p.drain()).toBe(1);
      clock.advance(2_500);
      expect(await p.drain()).toBe(1);
      expect(await statusOf(app, 'wmFAIL')).toEqual(['dead']);
      clock.advance(3_600_000);
      expect(await p.drain()).toBe(0); // dead stays parked

      const [dead] = await app.services.inbox.list({ status: 'dead', limit: 10 });
      expect(dead).toMatchObject({ attempts: 3, lastError: 'contact service unavailable' });
      const line = app.logs.find('parked as dead')[0];
      expect(String(line.msg)).toContain(`npx fencun inbox retry ${dead.id}`);
      expect(await (await fetch(app.url + '/metrics')).text()).toMatch(/fencun_inbox_events\{status="dead"\} 1/);

      failing = false;
      expect(await app.services.inbox.retry(dead.id, clock().getTime())).toBe(true);
      expect(await p.drain()).toBe(1);
      expect(await statusOf(app, 'wmFAIL')).toEqual(['done']);
      const recorded = await app.services.db.query('SELECT id FROM wecom_events WHERE inbox_id = ?', [dead.id]);
      expect(recorded).toHaveLength(1); // the audit handler ran on every attempt, recorded once
    } finally {
      await app.stop();
    }
  });

  it('should hold a customer\'s later events until the earlier one is processed', async () => {
    const clock = manualClock();
    const app = await startTestApp({ capabilities: false, clock, processor: { baseBackoffMs: 1_000 } });
    try {
      const handled: number[] = [];
      let failFirst = true;
      // wmORDER's first event fails once; wmOTHER is handled in the same batch, concurrently.
      app.services.handlers.on('edit_external_contact', async ({ inboxId, event }) => {
        if (failFirst && event.externalUserId === 'wmORDER') {
          failFirst = false;
          throw new Error('transient');
        }
        handled.push(inboxId);
      });
      await postCallback(app.url, signedPost(editEvent('wmORDER', 1)));
      await postCallback(app.url, signedPost(editEvent('wmORDER', 2)));
      await postCallback(app.url, signedPost(editEvent('wmOTHER', 3)));
      await app.services.processor.drain();
      expect(await statusOf(app, 'wmORDER')).toEqual(['pending', 'pending']);
      expect(await statusOf(app, 'wmOTHER')).toEqual(['done']);
      clock.advance(5_000);
      await app.services.processor.drain();
      expect(await statusOf(app, 'wmORDER')).toEqual(['done', 'done']);
      const ids = await app.services.db.query<{ id: unknown }>('SELECT id FROM inbox_events ORDER BY id');
      expect(handled).toEqual([Number(ids[2].id), Number(ids[0].id), Number(ids[1].id)]);
    } finally {
      await app.stop();
    }
  });

  it('should let another instance take over an event whose worker died mid-processing', async () => {
    const clock = manualClock();
    const database = await createTestDatabase();
    const a = await startTestApp({ capabilities: false, clock, database, processor: { leaseMs: 10_000 } });
    const b = await startTestApp({ capabilities: false, clock, database, processor: { leaseMs: 10_000 } });
    try {
      await postCallback(a.url, signedPost(editEvent('wmCRASH', 1)));
      // Instance A claims the event and then "crashes": it never finishes.
      const { claimed } = await a.services.inbox.claim({ instanceId: 'instance-a', now: clock().getTime(), leaseMs: 10_000, limit: 10 });
      expect(claimed).toHaveLength(1);
      expect(await b.services.processor.drain()).toBe(0);
      clock.advance(10_001);
      expect(await b.services.processor.drain()).toBe(1);
      expect(await statusOf(b, 'wmCRASH')).toEqual(['done']);
      // A's late completion cannot overwrite B's: its claim's token no longer owns the event.
      expect(await a.services.inbox.markDone(claimed[0].id, claimed[0].leaseToken!, clock().getTime())).toBe(false);
    } finally {
      await a.stop();
      await b.stop();
      await database.drop();
    }
  });

  it('should process each event exactly once, in order per customer, with two instances racing', async () => {
    const database = await createTestDatabase();
    const a = await startTestApp({ capabilities: false, database, processor: { concurrency: 3 } });
    const b = await startTestApp({ capabilities: false, database, processor: { concurrency: 3 } });
    try {
      const handled: { inboxId: number; customer: string; start: number; end: number }[] = [];
      let clockTick = 0;
      for (const app of [a, b]) {
        app.services.handlers.on('edit_external_contact', async ({ inboxId, event }) => {
          const start = ++clockTick;
          await new Promise((r) => setTimeout(r, Math.random() * 4));
          handled.push({ inboxId, customer: event.externalUserId, start, end: ++clockTick });
        });
      }
      const customers = Array.from({ length: 12 }, (_, i) => `wmRACE${i}`);
      let seq = 0;
      for (let round = 0; round < 4; round++) {
        await Promise.all(customers.map((c) => postCallback(a.url, signedPost(editEvent(c, ++seq)))));
      }
      const drainBoth = async () => {
        for (;;) {
          const [x, y] = await Promise.all([a.services.processor.drain(), b.services.processor.drain()]);
          const [left] = await a.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM inbox_events WHERE status <> 'done'");
          if (x + y === 0 && Number(left.n) === 0) return;
        }
      };
      await drainBoth();

      const ids = handled.map((h) => h.inboxId);
      expect(ids).toHaveLength(48);
      expect(new Set(ids).size).toBe(48);
      for (const c of customers) {
        const mine = handled.filter((h) => h.customer === c);
        const arrival = [...mine].sort((x, y) => x.inboxId - y.inboxId);
        expect(mine.map((h) => h.inboxId)).toEqual(arrival.map((h) => h.inboxId));
        for (let i = 1; i < mine.length; i++) expect(mine[i].start).toBeGreaterThan(mine[i - 1].end);
      }
      const [recorded] = await a.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM wecom_events');
      expect(Number(recorded.n)).toBe(48);
    } finally {
      await a.stop();
      await b.stop();
      await database.drop();
    }
  });
});
