import { fixedClock } from '../../src/clock';
import type { Database } from '../../src/db/database';
import { allJobs, findJob } from '../../src/jobs/registry';
import { JobRunner } from '../../src/jobs/runner';
import { refreshCustomerFacts } from '../../src/messages/facts';
import { chooseOwner } from '../../src/reminders/owner';
import { startTestApp, TestApp } from '../helpers/app';
import { DAY, seedCustomers } from '../helpers/seed';

/**
 * Invariants:
 * - one care reminder per cause (a post-sale step of one order), for the rep who owns it, however
 *   many reps follow the customer and however many job runs race (uq_reminders_cause);
 * - a reminder the pressure policy held back is one suppression per (rule, cause, customer),
 *   whatever the number of runs and days of its window (uq_pressure_denials_cause).
 */

// 09:00 in Shanghai; the first care step (3 days after payment, for 4 days) covers NOW .. NOW+3d.
const NOW = new Date('2026-11-20T09:00:00+08:00');
const T = NOW.getTime();
const PAID = T - 3 * DAY - 3_600_000;
const HOUR = 3_600_000;

/**
 * wmTWO: followed by zhaomin (first) and lisi; lisi chatted the day before the payment and
 * zhaomin only long before and after it, so lisi made the sale and owns its care.
 * wmQUIET: followed by both, nobody chatted: the earliest follow (zhaomin, though lisi sorts
 * first) owns it. wmUPSET: followed by both, complained yesterday: held back.
 */
async function seedWorld(db: Database): Promise<void> {
  await db.exec("INSERT INTO members (user_id, name, updated_at) VALUES ('zhaomin', '赵敏', ?), ('lisi', '李四', ?)", [T, T]);
  await seedCustomers(db, [
    { id: 'wmTWO', name: '钱女士', rep: 'zhaomin', addedAt: T - 200 * DAY, inbound: [T - 100 * DAY, PAID + HOUR], outbound: [T - 100 * DAY + 60_000, PAID + 2 * HOUR],
      orders: [{ id: 'SO-TWO', amount: 899, at: PAID, product: '羊绒围巾' }] },
    { id: 'wmQUIET', name: '周先生', rep: 'zhaomin', addedAt: T - 300 * DAY, orders: [{ id: 'SO-QUIET', amount: 1200, at: PAID, product: '羊绒衫' }] },
    { id: 'wmUPSET', name: '孙先生', rep: 'zhaomin', addedAt: T - 90 * DAY, orders: [{ id: 'SO-UPSET', amount: 1299, at: PAID, product: '羊绒大衣' }] },
  ], T);
  const follow = (ext: string, addedAt: number) => db.exec(
    `INSERT INTO follows (user_id, external_user_id, status, remark, added_at, last_event_at, created_at, updated_at)
     VALUES ('lisi', ?, 'active', ?, ?, ?, ?, ?)`, [ext, `李四的${ext}`, addedAt, addedAt, T, T]);
  await follow('wmTWO', T - 60 * DAY);
  await follow('wmQUIET', T - 100 * DAY);
  await follow('wmUPSET', T - 60 * DAY);
  const msg = (id: string, dir: 'in' | 'out', at: number) => db.exec(
    `INSERT INTO messages (msgid, channel, direction, msg_type, external_user_id, user_id, text, msg_time, created_at)
     VALUES (?, 'archive', ?, 'text', 'wmTWO', 'lisi', '这款围巾有灰色吗', ?, ?)`, [id, dir, at, T]);
  await msg('lisi-in', 'in', PAID - DAY);
  await msg('lisi-out', 'out', PAID - DAY + 60_000);
  await db.transaction((tx) => refreshCustomerFacts(tx, ['wmTWO'], T));
  await db.exec(`INSERT INTO complaints (external_user_id, user_id, source, source_ref, status, excerpt, opened_at, confirmed_at, confirmed_by, updated_at)
    VALUES ('wmUPSET', 'zhaomin', 'rep', 'r-1', 'confirmed', '大衣掉毛', ?, ?, 'zhaomin', ?)`, [T - DAY, T - DAY, T - DAY]);
}

async function remindersIn(db: Database) {
  return db.query<{ external_user_id: string; user_id: string; rule_key: string; title: string }>(
    'SELECT external_user_id, user_id, rule_key, title FROM reminders ORDER BY rule_key');
}

async function careDenials(db: Database) {
  return db.query<{ external_user_id: string; cause_key: string; reasons: string; at: unknown }>(
    "SELECT external_user_id, cause_key, reasons, at FROM pressure_denials WHERE ref_kind = 'reminder'");
}

const EXPECTED_REMINDERS = [
  { external_user_id: 'wmQUIET', user_id: 'zhaomin', rule_key: 'post_sale:3:SO-QUIET', title: '售后关怀：羊绒衫' },
  { external_user_id: 'wmTWO', user_id: 'lisi', rule_key: 'post_sale:3:SO-TWO', title: '售后关怀：羊绒围巾' },
];

describe('care reminders per cause', () => {
  let app: TestApp;
  let runner: JobRunner;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    runner = new JobRunner(app.services, allJobs());
    await seedWorld(app.services.db);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should make one reminder per order, for the rep who chatted up to the payment, else the earliest follow', async () => {
    const summary = await runner.runNow(findJob('care-reminders')!, NOW);
    expect(summary).toEqual({ candidates: 3, created: 2, suppressed: 1, held: 1 });
    expect(await remindersIn(app.services.db)).toEqual(EXPECTED_REMINDERS);
  });

  it('should record a held-back reminder once over every run and day of its window', async () => {
    const job = findJob('care-reminders')!;
    for (const day of [0, 0, 1, 2, 3]) {
      const summary = await runner.runNow(job, new Date(T + day * DAY));
      expect(summary).toEqual({ candidates: 3, created: 0, suppressed: 0, held: 1 });
    }
    const denials = await careDenials(app.services.db);
    expect(denials).toEqual([{ external_user_id: 'wmUPSET', cause_key: 'post_sale:3:SO-UPSET', reasons: expect.stringContaining('COMPLAINT_OPEN'), at: expect.anything() }]);
    expect(Number(denials[0].at)).toBe(T); // the first prevention is the one kept
    expect(await app.services.judgement.pressure.countDenials(new Date(T - 1), new Date(T + 5 * DAY))).toEqual({ total: 1, customers: 1 });
    expect(await remindersIn(app.services.db)).toEqual(EXPECTED_REMINDERS);
  });

  it('should record a campaign re-checking the same customer as one prevented touch', async () => {
    const pressure = app.services.judgement.pressure;
    const ref = { kind: 'campaign', id: 'double-12' };
    const first = await pressure.evaluateAudience(['wmUPSET'], 'marketing', NOW, ref);
    const again = await pressure.evaluateAudience(['wmUPSET'], 'marketing', new Date(T + HOUR), ref);
    expect(first.denied.map((d) => d.externalUserId)).toEqual(['wmUPSET']);
    expect(again.denied.map((d) => d.externalUserId)).toEqual(['wmUPSET']);
    const rows = await app.services.db.query<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM pressure_denials WHERE ref_kind = 'campaign' AND ref_id = 'double-12'");
    expect(Number(rows[0].n)).toBe(1);
  });
});

describe('care reminders on two instances at the same moment', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp({ clock: fixedClock(NOW) });
    b = await startTestApp({ clock: fixedClock(NOW), database: a.database });
    await seedWorld(a.services.db);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('should still make one reminder and one suppression per cause when both decided before either wrote', async () => {
    // Hold each run once it has left out the causes that already have a reminder (none yet) and
    // read contact pressure, until the other has too: both then decide, record and create the same causes.
    let arrived = 0;
    let release!: () => void;
    const bothDecided = new Promise<void>((r) => (release = r));
    for (const app of [a, b]) {
      const pressure = app.services.judgement.pressure;
      const judgeFrom = pressure.judgeFrom.bind(pressure);
      pressure.judgeFrom = async (...args) => {
        const judge = await judgeFrom(...args);
        if (++arrived === 2) release();
        await bothDecided;
        return judge;
      };
    }
    const job = findJob('care-reminders')!;
    const [ra, rb] = await Promise.all([new JobRunner(a.services, allJobs()).runNow(job, NOW), new JobRunner(b.services, allJobs()).runNow(job, NOW)]);
    expect(arrived).toBe(2);
    expect([ra.held, rb.held]).toEqual([1, 1]); // both saw every cause as new
    expect(Number(ra.created) + Number(rb.created)).toBe(2);
    expect(Number(ra.suppressed) + Number(rb.suppressed)).toBe(1);
    expect(await remindersIn(a.services.db)).toEqual(EXPECTED_REMINDERS);
    expect(await careDenials(a.services.db)).toHaveLength(1);
  });
});

describe('chooseOwner', () => {
  it('should prefer the latest chat, then the earliest follow, then the smaller user id', () => {
    expect(chooseOwner([
      { userId: 'a', lastChatAt: 5, addedAt: 1 }, { userId: 'b', lastChatAt: 9, addedAt: 7 }, { userId: 'c', lastChatAt: null, addedAt: 0 },
    ])?.userId).toBe('b');
    expect(chooseOwner([
      { userId: 'b', lastChatAt: null, addedAt: 3 }, { userId: 'a', lastChatAt: null, addedAt: null }, { userId: 'c', lastChatAt: null, addedAt: 2 },
    ])?.userId).toBe('c');
    expect(chooseOwner([{ userId: 'y', lastChatAt: 4, addedAt: 1 }, { userId: 'x', lastChatAt: 4, addedAt: 1 }])?.userId).toBe('x');
    expect(chooseOwner([])).toBeNull();
  });
});
