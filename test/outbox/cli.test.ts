import type { RunningSimulator } from '../../src/wecom-simulator';
import { runCli } from '../helpers/cli';
import { manualClock } from '../helpers/clock';
import { openTestDb, OpenDb, startTestSimulator } from '../wecom/support';
import { outboxRig, textTo } from './support';

/** The operator's view: `outbox list`, `outbox retry <id> --now`, and the outbox metrics. */
jest.setTimeout(180_000);

describe('outbox CLI and metrics', () => {
  let o: OpenDb;
  let sim: RunningSimulator;
  const clock = manualClock('2026-03-02T02:00:00Z');
  let failedId: number;
  let sentId: number;
  let rig: ReturnType<typeof outboxRig>;

  beforeAll(async () => {
    o = await openTestDb();
    sim = await startTestSimulator({ clock });
    rig = outboxRig(o.db, sim, { clock });
    const rep = sim.admin.reps()[0].userId;
    sentId = (await rig.service.enqueueNow(textTo(rep, '已送达', 'cli-sent', clock().getTime() - 1000))).intent.id;
    failedId = (await rig.service.enqueueNow(textTo('nobody-here', '无人接收', 'cli-failed', clock().getTime() - 500))).intent.id;
    await rig.service.enqueueNow(textTo(rep, '明天再发', 'cli-later', clock().getTime() + 86_400_000));
    await rig.worker.drain();
  });
  afterAll(async () => {
    await sim.stop();
    await o.close();
  });

  it.each([[['outbox', '--help']], [['outbox', 'list', '--help']], [['outbox', 'retry', '--help']]])('prints help for %j', async (args) => {
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: fencun outbox/);
  });

  it('lists intents with WeCom\'s ids or the reason, and filters by status', async () => {
    const all = await runCli(['outbox', 'list'], { DATABASE_URL: o.database.url });
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`#${sentId} +due 2026-03-02 01:59:59Z +sent +app_message +to \\S+ +attempts=1 +msgid=\\S+`));
    expect(all.stdout).toMatch(new RegExp(`#${failedId} .* failed +app_message +to nobody-here +attempts=1 +errcode=81013 +WeCom found no valid recipient \\(81013\\)`));
    expect(all.stdout).toContain('npx fencun outbox retry <id>');
    const failed = await runCli(['outbox', 'list', '--status', 'failed'], { DATABASE_URL: o.database.url });
    expect(failed.stdout.trim().split('\n')[0]).toMatch(new RegExp(`^#${failedId} `));
    expect((await runCli(['outbox', 'list', '--status', 'bogus'], { DATABASE_URL: o.database.url })).stderr).toMatch(/--status must be one of pending, running/);
    expect((await runCli(['outbox', 'list', '--limit', '0'], { DATABASE_URL: o.database.url })).stderr).toContain('--limit must be a positive whole number');
  });

  it('retries a failed intent at --now, and says why it will not retry a sent one', async () => {
    const ok = await runCli(['outbox', 'retry', String(failedId), '--now', '2026-03-02T10:05:00+08:00'], { DATABASE_URL: o.database.url });
    expect(ok).toEqual(expect.objectContaining({ code: 0, stdout: `Intent ${failedId} (app_message, cli-failed) is due again at 2026-03-02T02:05:00.000Z; a running Fencun will send it shortly.\n` }));
    expect((await rig.service.get(failedId))!).toEqual(expect.objectContaining({ status: 'pending', nextAttemptAt: Date.parse('2026-03-02T02:05:00Z'), errcode: null }));
    const no = await runCli(['outbox', 'retry', String(sentId)], { DATABASE_URL: o.database.url });
    expect(no.code).toBe(1);
    expect(no.stderr).toBe(`fencun: outbox intent ${sentId} is sent; only failed, skipped or unknown intents can be retried\n`);
    expect((await runCli(['outbox', 'retry', '999999'], { DATABASE_URL: o.database.url })).stderr).toContain('there is no outbox intent 999999');
    expect((await runCli(['outbox', 'retry', 'x'], { DATABASE_URL: o.database.url })).stderr).toContain('id must be an outbox intent id');
    expect((await runCli(['outbox', 'retry', String(failedId), '--now', 'soon'], { DATABASE_URL: o.database.url })).stderr).toContain('--now must be an ISO time');
  });

  it('exports depth by status, the age of the oldest due intent and outcomes by errcode', async () => {
    clock.set('2026-03-02T02:10:00Z');
    const text = await rig.metrics.registry.metrics();
    expect(text).toMatch(/fencun_outbox_intents\{status="pending"\} 2/);
    expect(text).toMatch(/fencun_outbox_intents\{status="sent"\} 1/);
    // The retried intent has been due since 02:05 (its due time moved to the retry).
    expect(text).toMatch(/fencun_outbox_oldest_due_age_seconds 300/);
    expect(text).toMatch(/fencun_outbox_outcomes_total\{kind="app_message",outcome="failed",errcode="81013"\} 1/);
  });
});
