import { fixedClock } from '../../src/clock';
import { churnRiskByRep } from '../../src/judgement/churn-risk';
import { startTestApp, TestApp } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { DAY, seedCustomers } from '../helpers/seed';

const NOW = new Date('2026-11-20T10:00:00+08:00');
const T = NOW.getTime();
const orders = (prefix: string, amount: number, daysAgo: number[]) => daysAgo.map((d, i) => ({ id: `${prefix}-${i}`, amount, at: T - d * DAY }));

describe('churn risk per rep', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW) });
    await app.services.db.exec("INSERT INTO members (user_id, name, updated_at) VALUES ('zhouyu', '周瑜', ?)", [T]);
    await seedCustomers(app.services.db, [
      // Bought every month for a year, then nothing for five months and no word: a valuable customer going quiet.
      { id: 'wmBIGQUIET', rep: 'zhouyu', addedAt: T - 500 * DAY, orders: orders('bq', 2000, [150, 180, 210, 240, 270, 300, 330, 360]), inbound: [T - 150 * DAY] },
      { id: 'wmSMALLQUIET', rep: 'zhouyu', addedAt: T - 500 * DAY, orders: orders('sq', 100, [160, 200, 240, 280]), inbound: [T - 160 * DAY] },
      { id: 'wmACTIVE', rep: 'zhouyu', addedAt: T - 500 * DAY, orders: orders('ac', 900, [5, 35, 65]), inbound: [T - 2 * DAY] },
    ], T);
    await app.services.judgement.tiers.recompute(['wmBIGQUIET', 'wmSMALLQUIET', 'wmACTIVE'], NOW, 'manual');
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should list each rep\'s at-risk and dormant customers by value at stake, and leave active ones out', async () => {
    const stages = new Map((await app.services.db.query<{ external_user_id: string; stage: string }>(
      'SELECT external_user_id, stage FROM customer_tiers')).map((r) => [r.external_user_id, r.stage]));
    expect(['at_risk', 'dormant']).toContain(stages.get('wmBIGQUIET'));
    expect(['at_risk', 'dormant']).toContain(stages.get('wmSMALLQUIET'));
    expect(stages.get('wmACTIVE')).toBe('active');

    const [list, ...others] = await churnRiskByRep(app.services.db, NOW);
    expect(others).toEqual([]);
    expect(list.repId).toBe('zhouyu');
    expect(list.repName).toBe('周瑜');
    expect(list.customers.map((c) => c.customerId)).toEqual(['wmBIGQUIET', 'wmSMALLQUIET']);
    expect(list.customers[0].valueAtRisk).toBe(16000);
    expect(list.totalValueAtRisk).toBe(16400);
  });

  it('should print the lists from the CLI', async () => {
    const r = await runCli(['churn-risk', '--limit', '1', '--now', NOW.toISOString()], { DATABASE_URL: app.database.url });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('周瑜 (zhouyu) — 风险金额 ¥16,400');
    expect(r.stdout).toContain('wmBIGQUIET  ¥16,000');
    expect(r.stdout).not.toContain('wmSMALLQUIET');
  });
});
