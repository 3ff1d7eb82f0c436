import { simulatorSuite } from '../wecom/support';
import { ledger, ledgerText, outboxRig, textTo } from './support';

/**
 * Invariant: pacing keeps the outbox under WeCom's limits, so 45009 is never how it learns them:
 * no window of 60 s sees more than 30 app messages to one member (1000 per hour), none of 60 s
 * more than 20 posts by one robot; what may not go yet is not claimed (the sender has a
 * not-before). The clock is manual and shared with the simulator, which enforces its own limits
 * and would answer 45009.
 */
jest.setTimeout(180_000);

describe('outbox pacing', () => {
  const suite = simulatorSuite({ perFile: true, clockAt: '2026-03-02T02:00:00Z' });
  let reps: string[];
  beforeAll(() => {
    reps = suite.sim.admin.reps().map((r) => r.userId);
  });

  function maxInWindow(times: number[], windowMs: number): number {
    const sorted = [...times].sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i] - sorted[j] >= windowMs) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  }

  it('per member: at most 30 a minute, the rest not claimed until the window frees, never a 45009', async () => {
    const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, config: { repDailyCap: 1000 } });
    const rep = reps[0];
    const t0 = suite.clock().getTime();
    for (let k = 0; k < 75; k++) await rig.service.enqueueNow(textTo(rep, `pace #${k}`, `pace-${k}`, t0 - 100 + k));
    await rig.worker.drain();
    expect((await rig.service.repo.countsByStatus()).sent).toBe(30);
    // The sender waits in SQL: a claim now takes nothing and calls nothing.
    const callsBefore = suite.sim.state.appMessages.length;
    suite.clock.advance(30_000);
    expect(await rig.worker.drain()).toBe(0);
    expect(suite.sim.state.appMessages.length).toBe(callsBefore);
    const [sender] = await suite.store.db.query<{ not_before: unknown; reason: string }>(`SELECT not_before, reason FROM outbox_senders WHERE pace_key = ?`, [`member:${rep}`]);
    expect(Number(sender.not_before)).toBe(t0 + 60_000 + 1_000);
    expect(sender.reason).toBe('paced: 30 app messages/min per member');
    for (let s = 0; s < 20; s++) {
      suite.clock.advance(10_000);
      await rig.worker.drain();
    }
    const rows = (await ledger(suite.sim, 'app_message')).filter((r) => ledgerText(r).startsWith('pace #'));
    expect(rows.map(ledgerText)).toEqual([...Array(75).keys()].map((k) => `pace #${k}`));
    expect(maxInWindow(rows.map((r) => r.at), 60_000)).toBe(30);
    const outcomes = await rig.metrics.registry.getSingleMetricAsString('fencun_outbox_outcomes_total');
    expect(outcomes).not.toMatch(/45009/);
    expect(outcomes).toMatch(/kind="app_message",outcome="sent",errcode="none"} 75/);
  });

  it('per member per hour: the hourly limit holds across minutes', async () => {
    const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, config: { repDailyCap: 1000, pacing: { memberPerMinute: 30, memberPerHour: 40, robotPerMinute: 20, corpPerMinute: 10_000, corpPerHour: 150_000, marginMs: 1_000 } } });
    const rep = reps[1];
    const t0 = suite.clock().getTime();
    for (let k = 0; k < 50; k++) await rig.service.enqueueNow(textTo(rep, `hour #${k}`, `hour-${k}`, t0 - 100 + k));
    for (let m = 0; m < 30; m++) {
      await rig.worker.drain();
      suite.clock.advance(60_000);
    }
    const rows = (await ledger(suite.sim, 'app_message')).filter((r) => ledgerText(r).startsWith('hour #'));
    expect(rows).toHaveLength(40);
    suite.clock.set(new Date(t0 + 3_600_000 + 1_000));
    await rig.worker.drain();
    const all = (await ledger(suite.sim, 'app_message')).filter((r) => ledgerText(r).startsWith('hour #'));
    expect(all).toHaveLength(50);
    expect(maxInWindow(all.map((r) => r.at), 3_600_000)).toBe(40);
  });

  it('a sender with many queued does not hold the others back: each sender\'s earliest is claimable', async () => {
    const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, worker: { concurrency: 2, scan: 10 }, config: { repDailyCap: 1000 } });
    const [busy, quiet] = [reps[3], reps[4]];
    const t0 = suite.clock().getTime();
    for (let k = 0; k < 25; k++) await rig.service.enqueueNow(textTo(busy, `busy #${k}`, `busy-${k}`, t0 - 1000 + k));
    await rig.service.enqueueNow(textTo(quiet, 'quiet #0', 'quiet-0', t0 - 900));
    await rig.worker.drain();
    const texts = (await ledger(suite.sim, 'app_message')).map(ledgerText).filter((t) => t.startsWith('busy #') || t.startsWith('quiet #'));
    expect(texts).toHaveLength(26);
    expect(texts.indexOf('quiet #0')).toBeLessThan(2);
  });

  it('per robot: at most 20 posts a minute', async () => {
    const rig = outboxRig(suite.store.db, suite.sim, { clock: suite.clock, config: { robots: { team: 'robot-key-team' } } });
    const t0 = suite.clock().getTime();
    for (let k = 0; k < 45; k++) {
      await rig.service.enqueueNow({ kind: 'robot', robot: 'team', message: { msgtype: 'text', text: { content: `robot #${k}` } }, key: `robot-${k}`, dueAt: t0 - 100 + k, origin: 'test' });
    }
    for (let s = 0; s < 20; s++) {
      await rig.worker.drain();
      suite.clock.advance(10_000);
    }
    const rows = (await ledger(suite.sim, 'webhook')).filter((r) => String((r.content as { text?: { content?: string } }).text?.content).startsWith('robot #'));
    expect(rows).toHaveLength(45);
    expect(maxInWindow(rows.map((r) => r.at), 60_000)).toBe(20);
    expect(await rig.metrics.registry.getSingleMetricAsString('fencun_outbox_outcomes_total')).not.toMatch(/45009/);
  });
});
