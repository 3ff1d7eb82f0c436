import { parseDatabaseUrl } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { simulatorSuite } from '../wecom/support';
import { ledger, ledgerText, outboxRig, textTo } from './support';

/**
 * Attacks on "each intent reaches WeCom once":
 * - WeCom carries a send out and answers after the client's timeout: the next attempt resolves it
 *   (duplicate check, task lookup, welcome code) and the ledger holds one delivery;
 * - a 45009 storm: every intent delivered eventually, in due order, none twice;
 * - two workers on one database (two connections), one of them held past its lease between the
 *   attempt mark and the request: each intent delivered once, the stale claim records nothing.
 * The clock is manual and shared with the simulator; pauses are crossed by moving it.
 */
jest.setTimeout(180_000);

describe('outbox attacks', () => {
  const suite = simulatorSuite({ perFile: true, clockAt: '2026-03-02T02:00:00Z' });
  let reps: string[];
  beforeAll(() => {
    reps = suite.sim.admin.reps().map((r) => r.userId);
  });

  /** Drains, moving the clock past every pause, until nothing is pending or running. */
  async function drainThroughPauses(rig: ReturnType<typeof outboxRig>, stepMs: number, maxRounds = 200): Promise<number> {
    for (let round = 0; round < maxRounds; round++) {
      await rig.worker.drain();
      const c = await rig.service.repo.countsByStatus();
      if (c.pending + c.running === 0) return round;
      suite.clock.advance(stepMs);
    }
    throw new Error('the outbox did not drain');
  }

  describe('WeCom answers after the client timed out', () => {
    it('an app message is resent under the duplicate check: one delivery, recorded sent with the first msgid', async () => {
      const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, client: { timeoutMs: 200 } });
      suite.sim.admin.injectFault({ endpoint: 'message/send', kind: 'latency', latencyMs: 10_000, afterAction: true, count: 1 });
      const { intent } = await rig.service.enqueueNow(textTo(reps[0], 'late answer app', 'late-app', suite.clock().getTime()));
      await rig.worker.drain();
      const doubted = (await rig.service.get(intent.id))!;
      expect(doubted).toEqual(expect.objectContaining({ status: 'pending', doubtSince: expect.any(Number) }));
      expect(doubted.reason).toMatch(/did not say whether it was sent/);
      suite.sim.admin.releaseHeld();
      await drainThroughPauses(rig, 5_000);
      const rows = (await ledger(suite.sim, 'app_message')).filter((r) => ledgerText(r) === 'late answer app');
      expect(rows).toHaveLength(1);
      const sent = (await rig.service.get(intent.id))!;
      expect(sent).toEqual(expect.objectContaining({ status: 'sent', wecomMsgId: rows[0].ref, doubtSince: null, attempts: 2 }));
      // The resend did reach WeCom: it was suppressed there, not skipped here.
      expect(suite.sim.state.appMessages.filter((m) => (m.body as { text: { content: string } }).text.content === 'late answer app').map((m) => m.duplicate)).toEqual([false, true]);
    });

    it('a mass task is found with get_groupmsg_list_v2 and not created again', async () => {
      const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, client: { timeoutMs: 200 } });
      const customers = [...suite.sim.state.followsByUser.get(reps[1])!.keys()].slice(0, 2);
      suite.sim.admin.injectFault({ endpoint: 'externalcontact/add_msg_template', kind: 'latency', latencyMs: 10_000, afterAction: true, count: 1 });
      const { intent } = await rig.service.enqueueNow({
        kind: 'mass_task', chatType: 'single', sender: reps[1], externalUserIds: customers, text: 'late answer mass', key: 'late-mass', dueAt: suite.clock().getTime(), origin: 'test',
      });
      await rig.worker.drain();
      expect((await rig.service.get(intent.id))!.doubtSince).not.toBeNull();
      suite.sim.admin.releaseHeld();
      await drainThroughPauses(rig, 5_000);
      const rows = (await ledger(suite.sim, 'mass_task')).filter((r) => (r.content as { text?: string }).text === 'late answer mass');
      expect(rows).toHaveLength(1);
      expect((await rig.service.get(intent.id))!).toEqual(expect.objectContaining({ status: 'awaiting', wecomMsgId: rows[0].ref }));
    });

    it('a welcome whose code WeCom used is recorded sent on 41051', async () => {
      const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, client: { timeoutMs: 200 } });
      const { externalUserId, welcomeCode } = suite.sim.admin.addContact({ userId: reps[2], welcome: true });
      suite.sim.admin.injectFault({ endpoint: 'externalcontact/send_welcome_msg', kind: 'drop', afterAction: true, count: 1 });
      const { intent } = await rig.service.enqueueNow({ kind: 'welcome', welcomeCode: welcomeCode!, userId: reps[2], externalUserId, text: '欢迎', key: 'late-welcome', dueAt: suite.clock().getTime(), origin: 'test' });
      await drainThroughPauses(rig, 2_000);
      expect((await ledger(suite.sim, 'welcome')).filter((r) => r.ref === welcomeCode)).toHaveLength(1);
      expect((await rig.service.get(intent.id))!).toEqual(expect.objectContaining({ status: 'sent', errcode: 41051 }));
    });

    it('past the duplicate-check horizon an app message in doubt is parked unknown, not resent', async () => {
      const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, client: { timeoutMs: 200 }, config: { retryHorizonMinutes: 10 } });
      suite.sim.admin.injectFault({ endpoint: 'message/send', kind: 'drop', afterAction: true, count: 1 });
      const { intent } = await rig.service.enqueueNow(textTo(reps[3], 'horizon app', 'horizon-app', suite.clock().getTime()));
      await rig.worker.drain();
      suite.clock.advance(10 * 60_000);
      await rig.worker.drain();
      const parked = (await rig.service.get(intent.id))!;
      expect(parked.status).toBe('unknown');
      expect(parked.reason).toMatch(/may have been delivered.*duplicate check \(10 min\) no longer covers a resend.*outbox retry/);
      expect((await ledger(suite.sim, 'app_message')).filter((r) => ledgerText(r) === 'horizon app')).toHaveLength(1);
    });
  });

  it('a 45009 storm: every intent delivered eventually, in due order, none twice', async () => {
    const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, worker: { concurrency: 1 }, config: { repDailyCap: 1000, backoff: { baseSeconds: 1, maxMinutes: 0.5 } } });
    const t0 = suite.clock().getTime();
    const n = 24;
    // Enqueued out of order; due order is #0, #1, …
    for (const k of [...Array(n).keys()].reverse()) await rig.service.enqueueNow(textTo(reps[k % 4], `storm #${k}`, `storm-${k}`, t0 - n + k));
    suite.sim.admin.injectFault({ endpoint: 'message/send', kind: 'errcode', errcode: 45009, count: 40 });
    const rounds = await drainThroughPauses(rig, 5_000);
    const texts = (await ledger(suite.sim, 'app_message')).map(ledgerText).filter((t) => t.startsWith('storm #'));
    expect(texts).toEqual([...Array(n).keys()].map((k) => `storm #${k}`));
    expect(suite.sim.admin.faults().pending).toEqual([]);
    expect(rounds).toBeGreaterThan(1);
    const retries = await rig.metrics.registry.getSingleMetricAsString('fencun_outbox_outcomes_total');
    expect(retries).toMatch(/kind="app_message",outcome="retry",errcode="45009"} 40/);
  });

  it('two workers on one database: each intent sent once, and a claim held past its lease records nothing', async () => {
    const ds2 = createDataSource(parseDatabaseUrl(suite.store.database.url)!);
    await ds2.initialize();
    const db2 = new Database(ds2);
    try {
      let holdA: (() => void) | null = null;
      let heldId = -1;
      const held = new Promise<void>((resolve) => (holdA = resolve));
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const config = { repDailyCap: 1000 };
      const a = outboxRig(suite.store.db, suite.sim, {
        clock: suite.clock, config, instanceId: 'A', worker: { leaseMs: 30_000 },
        hooks: {
          afterMark: async (i) => {
            if (heldId !== -1 || !i.key.startsWith('race-')) return;
            heldId = i.id;
            holdA!();
            await released;
          },
        },
      });
      const b = outboxRig(db2, suite.sim, { clock: suite.clock, config, instanceId: 'B', worker: { leaseMs: 30_000 } });
      const t0 = suite.clock().getTime();
      const n = 30;
      for (let k = 0; k < n; k++) await a.service.enqueueNow(textTo(reps[k % 6], `race #${k}`, `race-${k}`, t0 - n + k));
      // A claims and marks its first intent, then stalls before the request; B works the rest meanwhile.
      const drainA = a.worker.drain();
      await held;
      await Promise.all([b.worker.drain(), b.worker.drain()]);
      // A's other claims finish first (only the stalled one may lose its lease), then A's lease
      // runs out while it is stalled: B takes the intent over and resolves it.
      while (a.worker.inFlightIds.length > 1) await new Promise((r) => setTimeout(r, 5));
      expect(a.worker.inFlightIds).toEqual([heldId]);
      suite.clock.advance(31_000);
      await b.worker.drain();
      expect((await a.service.get(heldId))!.status).toBe('sent');
      release();
      await drainA;
      await Promise.all([a.worker.drain(), b.worker.drain()]);
      const counts = new Map<string, number>();
      for (const r of await ledger(suite.sim, 'app_message')) counts.set(ledgerText(r), (counts.get(ledgerText(r)) ?? 0) + 1);
      for (let k = 0; k < n; k++) expect([`race #${k}`, counts.get(`race #${k}`)]).toEqual([`race #${k}`, 1]);
      const all = await a.service.list({ limit: 100 });
      expect(all.filter((i) => i.key.startsWith('race-')).map((i) => i.status)).toEqual(Array(n).fill('sent'));
      expect(a.logs.find('lease lost').map((l) => l.outboxId)).toEqual([heldId]);
      const owners = new Set((await suite.store.db.query<{ lease_owner: string | null }>(`SELECT lease_owner FROM outbox_intents WHERE idem_key LIKE 'race-%'`)).map((r) => r.lease_owner));
      expect(owners).toEqual(new Set([null]));
    } finally {
      await ds2.destroy();
    }
  });
});
