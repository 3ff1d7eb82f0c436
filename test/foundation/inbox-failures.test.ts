import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { WecomApiError, WecomRateLimitError, WecomUnavailableError } from '../../src/wecom/errors';
import { startTestApp, TestApp } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { manualClock } from '../helpers/clock';
import { createTestDatabase } from '../helpers/db';
import { postCallback, signedPost, TEST_WECOM_ENV } from '../helpers/wecom-callback';

/**
 * Invariants under attack (issue 10, point 3):
 * - a transient failure (rate limit, WeCom outage or -1, database unreachable, lock conflict) is
 *   retried no earlier than its retryAfterMs and never uses up the dead-letter budget;
 * - an event is parked after maxAttempts non-transient failures, or after failing for the time
 *   budget since its first failure;
 * - an event claimed and never completed maxAbandonedClaims times (the worker died on it) is
 *   parked with that reason, and its key moves on;
 * - `inbox retry --all-dead [--kind k] [--now]` requeues in bulk.
 */

const template = fs.readFileSync(path.join(__dirname, '../fixtures/wecom-events/edit_external_contact.xml'), 'utf8');

function editEvent(customer: string, seq: number): string {
  return template.replace('woAJ2GCAAAXtWyujaWJHDDGi0mAAAA', customer).replace('1403610513', String(1700000000 + seq));
}

async function rowOf(app: TestApp, customer: string, index = 0) {
  const rows = await app.services.inbox.list({ limit: 100 });
  return rows.filter((r) => r.orderKey === `customer:${customer}`).sort((x, y) => x.id - y.id)[index];
}

function lockConflict(): Error {
  return Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });
}

function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
}

describe('inbox failures', () => {
  it('should back off transient failures, honouring retry-after, without spending the dead-letter budget', async () => {
    const clock = manualClock();
    const app = await startTestApp({
      capabilities: false, clock, processor: { maxAttempts: 2, baseBackoffMs: 1_000, maxBackoffMs: 10_000, failureBudgetMs: 24 * 3_600_000 },
    });
    try {
      const failures: Error[] = [
        new WecomRateLimitError('externalcontact/get', 45009, 60_000),
        new WecomUnavailableError('externalcontact/get', 4, 'timeout of 10000ms exceeded'),
        new WecomApiError('externalcontact/get', -1, 'system busy'),
        lockConflict(),
        connectionRefused(),
        new WecomRateLimitError('externalcontact/get', 45009, 60_000),
        new WecomUnavailableError('externalcontact/get', 4, 'socket hang up'),
        new WecomApiError('externalcontact/get', -1, 'system busy'),
        lockConflict(),
        connectionRefused(),
      ];
      let runs = 0;
      app.services.handlers.on('edit_external_contact', async () => {
        runs++;
        const next = failures.shift();
        if (next) throw next;
      });
      await postCallback(app.url, signedPost(editEvent('wmFLAKY', 1)));
      const p = app.services.processor;

      for (let i = 0; failures.length > 0; i++) {
        const error = failures[0];
        expect(await p.drain()).toBe(1);
        const row = await rowOf(app, 'wmFLAKY');
        expect(row).toMatchObject({ status: 'pending', failures: 0, lastError: error.message });
        if (error instanceof WecomRateLimitError) {
          expect(row.nextAttemptAt - clock().getTime()).toBeGreaterThanOrEqual(60_000);
          clock.advance(59_999);
          expect(await p.drain()).toBe(0); // not before WeCom said
          clock.advance(12_002); // retry-after plus at most 20% jitter
        } else {
          clock.advance(12_001); // at most maxBackoffMs plus 20% jitter
        }
      }
      // Ten transient failures with maxAttempts 2: still queued, and then it succeeds.
      expect(await p.drain()).toBe(1);
      expect(runs).toBe(11);
      expect(await rowOf(app, 'wmFLAKY')).toMatchObject({ status: 'done' });
    } finally {
      await app.stop();
    }
  });

  it('should park after maxAttempts non-transient failures, however many transient ones came between', async () => {
    const clock = manualClock();
    const app = await startTestApp({ capabilities: false, clock, processor: { maxAttempts: 2, baseBackoffMs: 1_000, maxBackoffMs: 10_000 } });
    try {
      const failures: Error[] = [new Error('bad payload'), lockConflict(), lockConflict(), new Error('bad payload again')];
      app.services.handlers.on('edit_external_contact', async () => {
        throw failures.shift() ?? new Error('unexpected extra run');
      });
      await postCallback(app.url, signedPost(editEvent('wmBROKEN', 1)));
      for (let i = 0; i < 3; i++) {
        expect(await app.services.processor.drain()).toBe(1);
        expect(await rowOf(app, 'wmBROKEN')).toMatchObject({ status: 'pending', failures: 1 });
        clock.advance(12_001);
      }
      expect(await app.services.processor.drain()).toBe(1);
      const row = await rowOf(app, 'wmBROKEN');
      expect(row).toMatchObject({ status: 'dead', failures: 2, attempts: 4, lastError: 'bad payload again' });
      expect(String(app.logs.find('parked as dead')[0].msg)).toContain(`event ${row.id} failed 2 time(s) and is parked as dead`);
    } finally {
      await app.stop();
    }
  });

  it('should park an event that keeps failing transiently once its time budget is spent', async () => {
    const clock = manualClock();
    const app = await startTestApp({
      capabilities: false, clock, processor: { maxAttempts: 2, baseBackoffMs: 1_000, maxBackoffMs: 10_000, failureBudgetMs: 60_000 },
    });
    try {
      let runs = 0;
      app.services.handlers.on('edit_external_contact', async () => {
        runs++;
        throw new WecomUnavailableError('externalcontact/get', 4, 'connect ECONNREFUSED');
      });
      await postCallback(app.url, signedPost(editEvent('wmOUTAGE', 1)));
      const firstFailure = clock().getTime();
      // Failures at 0, 12.001 s, … 60.005 s after the first: the sixth is past the 60 s budget.
      for (let i = 0; i < 6; i++) {
        expect(await app.services.processor.drain()).toBe(1);
        const row = await rowOf(app, 'wmOUTAGE');
        expect(row).toMatchObject({ status: i < 5 ? 'pending' : 'dead', failures: 0, firstFailedAt: firstFailure });
        clock.advance(12_001);
      }
      expect(runs).toBe(6);
      expect(String(app.logs.find('parked as dead')[0].msg)).toMatch(/kept failing for 1 min \(budget 1 min\) and is parked as dead/);
    } finally {
      await app.stop();
    }
  });

  it('should take the time budget from FENCUN_INBOX_FAILURE_BUDGET_HOURS, and refuse a bad one with a sentence', async () => {
    expect(() => loadConfig({ ...TEST_WECOM_ENV, FENCUN_INBOX_FAILURE_BUDGET_HOURS: 'a day' })).toThrow(/FENCUN_INBOX_FAILURE_BUDGET_HOURS.*must be a number of hours/);
    const clock = manualClock();
    const app = await startTestApp({ capabilities: false, clock, env: { FENCUN_INBOX_FAILURE_BUDGET_HOURS: '2' }, processor: { maxBackoffMs: 3_600_000 } });
    try {
      app.services.handlers.on('edit_external_contact', async () => {
        throw new WecomRateLimitError('externalcontact/get', 45009, 3_600_000);
      });
      await postCallback(app.url, signedPost(editEvent('wmLIMITED', 1)));
      for (const status of ['pending', 'pending', 'dead']) {
        expect(await app.services.processor.drain()).toBe(1);
        expect(await rowOf(app, 'wmLIMITED')).toMatchObject({ status });
        clock.advance(3_600_000 * 1.2 + 1);
      }
    } finally {
      await app.stop();
    }
  });

  it('should park an event claimed and never completed maxAbandonedClaims times, then move on to its key\'s next event', async () => {
    const clock = manualClock();
    const database = await createTestDatabase();
    const app = await startTestApp({ capabilities: false, clock, database, processor: { leaseMs: 10_000, heartbeatMs: 0, maxAbandonedClaims: 3 } });
    try {
      const handled: number[] = [];
      app.services.handlers.on('edit_external_contact', async ({ inboxId }) => {
        handled.push(inboxId);
      });
      await postCallback(app.url, signedPost(editEvent('wmPOISON', 1)));
      await postCallback(app.url, signedPost(editEvent('wmPOISON', 2)));
      const poison = await rowOf(app, 'wmPOISON', 0);
      const next = await rowOf(app, 'wmPOISON', 1);
      // Three workers claim the event and die on it (no outcome, the lease simply runs out).
      for (let crash = 0; crash < 3; crash++) {
        const { claimed } = await app.services.inbox.claim({ instanceId: `crashed-${crash}`, now: clock().getTime(), leaseMs: 10_000, limit: 4, maxAbandoned: 3 });
        expect(claimed.map((r) => r.id)).toEqual([poison.id]);
        clock.advance(10_001);
      }
      expect(await app.services.processor.drain()).toBe(1);
      expect(handled).toEqual([next.id]); // the poison never ran again; its successor did
      expect(await app.services.inbox.get(poison.id)).toMatchObject({ status: 'dead', abandoned: 3, attempts: 3 });
      expect((await app.services.inbox.get(poison.id))!.lastError).toContain('claimed 3 time(s) and never completed');
      const line = app.logs.find('never completed')[0];
      expect(String(line.msg)).toContain(`npx fencun inbox retry ${poison.id}`);
    } finally {
      await app.stop();
      await database.drop();
    }
  });

  it('should not count a claim whose failure was recorded as abandoned', async () => {
    const clock = manualClock();
    const app = await startTestApp({ capabilities: false, clock, processor: { leaseMs: 10_000, heartbeatMs: 0, maxAbandonedClaims: 2, baseBackoffMs: 1_000 } });
    try {
      let fail = true;
      app.services.handlers.on('edit_external_contact', async () => {
        if (fail) throw lockConflict();
      });
      await postCallback(app.url, signedPost(editEvent('wmCRASHY', 1)));
      const row = await rowOf(app, 'wmCRASHY');
      // One worker dies on it, then a live one records a transient failure: the count starts over.
      await app.services.inbox.claim({ instanceId: 'crashed', now: clock().getTime(), leaseMs: 10_000, limit: 1 });
      clock.advance(10_001);
      expect(await app.services.processor.drain()).toBe(1);
      expect(await app.services.inbox.get(row.id)).toMatchObject({ status: 'pending', abandoned: 0 });
      clock.advance(5_000);
      await app.services.inbox.claim({ instanceId: 'crashed', now: clock().getTime(), leaseMs: 10_000, limit: 1 });
      clock.advance(10_001);
      fail = false;
      expect(await app.services.processor.drain()).toBe(1);
      expect(await app.services.inbox.get(row.id)).toMatchObject({ status: 'done' });
    } finally {
      await app.stop();
    }
  });

  describe('inbox retry from the CLI', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ capabilities: false, processor: { maxAttempts: 1 } });
      app.services.handlers.onEvery(async () => {
        throw new Error('downstream refused');
      });
      await postCallback(app.url, signedPost(editEvent('wmDEAD1', 1)));
      await postCallback(app.url, signedPost(editEvent('wmDEAD2', 2)));
      await postCallback(app.url, signedPost('<xml><MsgType>text</MsgType><Content>hi</Content><MsgId>515151</MsgId><FromUserName>lisi</FromUserName><CreateTime>1700000000</CreateTime></xml>'));
      await app.services.processor.drain();
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('should refuse ambiguous or incomplete requests with a sentence', async () => {
      const env = { DATABASE_URL: app.database.url };
      const [both, kindAlone, neither, badNow] = await Promise.all([
        runCli(['inbox', 'retry', '5', '--all-dead'], env),
        runCli(['inbox', 'retry', '--kind', 'app_message'], env),
        runCli(['inbox', 'retry'], env),
        runCli(['inbox', 'retry', '--all-dead', '--now', 'yesterday'], env),
      ]);
      expect(both).toMatchObject({ code: 1, stderr: expect.stringContaining('give either an event id or --all-dead, not both') });
      expect(kindAlone).toMatchObject({ code: 1, stderr: expect.stringContaining('--kind only applies with --all-dead') });
      expect(neither).toMatchObject({ code: 1, stderr: expect.stringContaining('give an event id') });
      expect(badNow).toMatchObject({ code: 1, stderr: expect.stringContaining('--now must be an ISO time') });
      expect((await app.services.inbox.countsByStatus()).dead).toBe(3);
    }, 120_000); // child processes on a loaded two-core machine

    it('should requeue every dead event of one kind, then all the rest, due at --now', async () => {
      const env = { DATABASE_URL: app.database.url };
      const one = await runCli(['inbox', 'retry', '--all-dead', '--kind', 'app_message', '--now', '2030-01-01T00:00:00Z'], env);
      expect(one).toMatchObject({ code: 0, stdout: '1 dead app_message events are queued again; a running Fencun will process them shortly.\n' });
      const requeued = (await app.services.inbox.findByDedupeKey('msg:515151'))!;
      expect(requeued).toMatchObject({ status: 'pending', attempts: 0, failures: 0, nextAttemptAt: Date.parse('2030-01-01T00:00:00Z') });
      expect((await app.services.inbox.countsByStatus()).dead).toBe(2);

      const rest = await runCli(['inbox', 'retry', '--all-dead', '--now', '2030-01-01T00:00:00Z'], env);
      expect(rest).toMatchObject({ code: 0, stdout: '2 dead events are queued again; a running Fencun will process them shortly.\n' });
      const none = await runCli(['inbox', 'retry', '--all-dead'], env);
      expect(none).toMatchObject({ code: 0, stdout: 'No dead events to retry.\n' });
      expect(await app.services.inbox.countsByStatus()).toMatchObject({ dead: 0, pending: 3 });
    }, 120_000);
  });
});
