import { parseDatabaseUrl } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import type { OutboxIntent } from '../../src/outbox/types';
import { simulatorSuite } from '../wecom/support';
import { ledger, ledgerText, outboxRig, Rig, textTo } from './support';

/**
 * Attacks on "a rep gets at most repDailyCap Fencun app messages a corp day" where WeCom has a bad
 * day: the cap counts messages that were or may have been delivered, once each, not attempts.
 * - a send that WeCom answered -1 twice before it went through is one message;
 * - one refused busy (45009) and then sent is one message;
 * - one WeCom refused outright (a permanent errcode) is none;
 * - one that may have been delivered (parked unknown) is one;
 * - two workers on one database, claiming at the same moment, never admit more than the cap.
 * Each test works on a corp day of its own (Asia/Shanghai) and sends its deferred messages on the
 * next day, so nothing is left for the next test. The clock is manual, shared with the simulator.
 */
jest.setTimeout(180_000);

const DAY = 86_400_000;

describe('outbox daily cap', () => {
  const suite = simulatorSuite({ perFile: true, clockAt: '2026-03-02T02:00:00Z' });
  let reps: string[];
  beforeAll(() => {
    reps = suite.sim.admin.reps().map((r) => r.userId);
  });

  /** 10:00 corp time on day `n` after 2026-03-02, and that day's end (the next day's 00:00). */
  function dayAt(n: number): { at: number; end: number; label: string; next: string } {
    const at = Date.parse('2026-03-02T02:00:00Z') + n * DAY;
    const end = Date.parse('2026-03-02T16:00:00Z') + n * DAY;
    const iso = (t: number) => new Date(t + 8 * 3_600_000).toISOString().slice(0, 10);
    return { at, end, label: iso(at), next: iso(end) };
  }

  /** Day n of the run, with the clock at its 10:00; each test takes a day of its own. */
  function startDay(n: number): ReturnType<typeof dayAt> {
    const day = dayAt(n);
    suite.clock.set(new Date(day.at));
    return day;
  }

  /** A worker rig with the cap at 2, on the suite's database and clock. */
  const capRig = (extra: Partial<Parameters<typeof outboxRig>[2]> = {}) =>
    outboxRig(suite.store.db, suite.sim, { clock: suite.clock, ...extra, config: { repDailyCap: 2, ...extra.config } });

  async function enqueueFor(rig: Rig, rep: string, prefix: string, n: number): Promise<number[]> {
    const t = suite.clock().getTime();
    const ids: number[] = [];
    for (let k = 0; k < n; k++) ids.push((await rig.service.enqueueNow(textTo(rep, `${prefix} #${k}`, `${prefix}-${k}`, t - 100 + k))).intent.id);
    return ids;
  }

  /**
   * Drains, moving the clock past each retry's pause, until none of `ids` is due or running
   * (what is left is done or deferred to another day).
   */
  async function settle(rig: Rig, ids: number[], stepMs = 5_000): Promise<OutboxIntent[]> {
    for (let round = 0; round < 100; round++) {
      await rig.worker.drain();
      const now = suite.clock().getTime();
      const all = await Promise.all(ids.map(async (id) => (await rig.service.get(id))!));
      if (all.every((i) => i.status !== 'running' && (i.status !== 'pending' || i.nextAttemptAt > now + DAY / 2))) return all;
      suite.clock.advance(stepMs);
    }
    throw new Error('the outbox did not settle');
  }

  async function delivered(prefix: string): Promise<string[]> {
    return (await ledger(suite.sim, 'app_message')).map(ledgerText).filter((t) => t.startsWith(`${prefix} #`));
  }

  async function drawsOfMember(rep: string, since: number): Promise<number> {
    const rows = await suite.store.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM outbox_pace_log WHERE pace_key = ? AND at >= ?`, [`member:${rep}`, since]);
    return Number(rows[0].n);
  }

  /** The deferred ones go at the next day's start, and then every intent is sent. */
  async function nextDaySends(rig: Rig, day: { end: number }, ids: number[]): Promise<void> {
    suite.clock.set(new Date(day.end));
    const all = await settle(rig, ids);
    expect(all.filter((i) => i.status === 'pending')).toEqual([]);
  }

  it('a send WeCom answered -1 twice before it went through counts once: the rep still gets the cap that day', async () => {
    const day = startDay(0);
    const rep = reps[0];
    const rig = capRig();
    // -1 before WeCom does anything: nothing is delivered, and the client cannot know that, so
    // each is an attempt in doubt, resolved by a resend under the duplicate check.
    suite.sim.admin.injectFault({ endpoint: 'message/send', kind: 'errcode', errcode: -1, count: 2 });
    const ids = await enqueueFor(rig, rep, 'busy-1', 3);
    const after = await settle(rig, ids);
    expect(suite.sim.admin.faults().pending).toEqual([]);
    expect(after.map((i) => [i.status, i.attempts])).toEqual([['sent', 3], ['sent', 1], ['pending', 0]]);
    expect(await delivered('busy-1')).toEqual(['busy-1 #0', 'busy-1 #1']);
    expect(after[2].reason).toBe(`deferred to ${day.next}: ${rep} already received 2 Fencun app messages on ${day.label} (repDailyCap 2)`);
    expect(after[2].nextAttemptAt).toBe(day.end);
    // Four attempts were drawn from the member's pace: counting draws would have stopped at #0.
    expect(await drawsOfMember(rep, day.at)).toBe(4);
    await nextDaySends(rig, day, ids);
    expect(await delivered('busy-1')).toEqual(['busy-1 #0', 'busy-1 #1', 'busy-1 #2']);
  });

  it('a send refused busy (45009) and then sent counts once', async () => {
    const day = startDay(2);
    const rep = reps[1];
    const rig = capRig();
    // A rate-limit refusal: nothing sent, and WeCom says so (pending without doubt, checked against the cap again).
    suite.sim.admin.injectFault({ endpoint: 'message/send', kind: 'errcode', errcode: 45009, count: 2 });
    const ids = await enqueueFor(rig, rep, 'busy-2', 3);
    const after = await settle(rig, ids);
    expect(after.map((i) => [i.status, i.attempts])).toEqual([['sent', 3], ['sent', 1], ['pending', 0]]);
    expect(after[0].doubtSince).toBeNull();
    expect(await delivered('busy-2')).toEqual(['busy-2 #0', 'busy-2 #1']);
    expect(after[2].reason).toMatch(/already received 2 Fencun app messages/);
    expect(await drawsOfMember(rep, day.at)).toBe(4);
    await nextDaySends(rig, day, ids);
  });

  it('a send WeCom refused outright (a permanent errcode) does not count', async () => {
    const day = startDay(4);
    const rep = reps[2];
    const rig = capRig();
    suite.sim.admin.injectFault({ endpoint: 'message/send', kind: 'errcode', errcode: 40058, count: 1 });
    const ids = await enqueueFor(rig, rep, 'refused', 4);
    const after = await settle(rig, ids);
    expect(after.map((i) => i.status)).toEqual(['failed', 'sent', 'sent', 'pending']);
    expect(after[0].errcode).toBe(40058);
    expect(await delivered('refused')).toEqual(['refused #1', 'refused #2']);
    expect(after[3].reason).toMatch(/already received 2 Fencun app messages/);
    await nextDaySends(rig, day, ids.slice(1));
    expect(await delivered('refused')).toEqual(['refused #1', 'refused #2', 'refused #3']);
  });

  it('a send that may have been delivered (parked unknown) counts once', async () => {
    const day = startDay(6);
    const rep = reps[3];
    const rig = capRig({ config: { retryHorizonMinutes: 10 }, client: { timeoutMs: 200 } });
    // WeCom delivers #0 and the answer is lost; past the duplicate check's horizon it is parked unknown.
    suite.sim.admin.injectFault({ endpoint: 'message/send', kind: 'drop', afterAction: true, count: 1 });
    const ids = await enqueueFor(rig, rep, 'doubt', 3);
    await rig.worker.drain();
    expect((await rig.service.get(ids[0]))!).toEqual(expect.objectContaining({ status: 'pending', doubtSince: expect.any(Number) }));
    suite.clock.advance(10 * 60_000);
    const after = await settle(rig, ids);
    expect(after.map((i) => i.status)).toEqual(['unknown', 'sent', 'pending']);
    expect(await delivered('doubt')).toEqual(['doubt #0', 'doubt #1']);
    expect(after[2].reason).toMatch(/already received 2 Fencun app messages/);
    await nextDaySends(rig, day, ids.slice(1));
  });

  it('two workers claiming at the same moment never admit more than the cap (claims are serialised)', async () => {
    const day = startDay(8);
    const ds2 = createDataSource(parseDatabaseUrl(suite.store.database.url)!);
    await ds2.initialize();
    const db2 = new Database(ds2);
    try {
      const config = { repDailyCap: 2 };
      // Who is inside admission (the pace read to the pace write, under the claim lock) at once.
      let inside = 0;
      let most = 0;
      const duringAdmit = (phase: 'start' | 'end') => {
        if (phase === 'start') most = Math.max(most, ++inside);
        else inside--;
      };
      let bStarted!: () => void;
      const bClaiming = new Promise<void>((r) => (bStarted = r));
      let bAdmitted!: () => void;
      const bFirstAdmission = new Promise<void>((r) => (bAdmitted = r));
      let drainB: Promise<number> | null = null;
      const b = outboxRig(db2, suite.sim, {
        clock: suite.clock, config, instanceId: 'B', worker: { concurrency: 4 },
        hooks: {
          beforeClaim: () => bStarted(),
          duringAdmit: (phase) => {
            duringAdmit(phase);
            if (phase === 'end') bAdmitted();
          },
        },
      });
      const a = outboxRig(suite.store.db, suite.sim, {
        clock: suite.clock, config, instanceId: 'A', worker: { concurrency: 4 },
        hooks: {
          duringAdmit: async (phase) => {
            duringAdmit(phase);
            // A's first admission, under the lock: B starts claiming now, and A goes on only once
            // B's claim is under way. Without the lock B would be admitting beside A.
            if (phase === 'start' && !drainB) {
              drainB = b.worker.drain();
              await bClaiming;
            }
          },
          // A's sends wait for B's first admission, so the rep A has no slot for is B's.
          beforeSend: () => bFirstAdmission,
        },
      });
      const racers = reps.slice(0, 5);
      const ids: number[] = [];
      for (const [n, rep] of racers.entries()) ids.push(...(await enqueueFor(a, rep, `race-${n}`, 4)));
      await a.worker.drain();
      await drainB;
      // Both go on until nothing is due today; each claim races the other's.
      for (let round = 0; round < 5; round++) await Promise.all([a.worker.drain(), b.worker.drain()]);
      const after = await settle(a, ids);
      expect(most).toBe(1);
      for (const [n, rep] of racers.entries()) {
        expect([rep, await delivered(`race-${n}`)]).toEqual([rep, [`race-${n} #0`, `race-${n} #1`]]);
      }
      const deferred = after.filter((i) => i.status === 'pending');
      expect(deferred).toHaveLength(racers.length * 2);
      for (const i of deferred) expect(i.reason).toMatch(/already received 2 Fencun app messages/);
      // Both instances did part of the work.
      const owners = a.logs.find('outbox: sent').length + b.logs.find('outbox: sent').length;
      expect(owners).toBe(racers.length * 2);
      expect(b.logs.find('outbox: sent').length).toBeGreaterThan(0);
      await nextDaySends(a, day, ids);
    } finally {
      await ds2.destroy();
    }
  });
});
