import { fixedClock } from '../../src/clock';
import type { Database } from '../../src/db/database';
import { allJobs, findJob } from '../../src/jobs/registry';
import { JobRunner } from '../../src/jobs/runner';
import { startTestApp, TestApp } from '../helpers/app';
import { DAY, seedCustomers } from '../helpers/seed';
import { postCallback, signedPost, TEST_WECOM } from '../helpers/wecom-callback';

/**
 * Invariants of the care rules run as jobs on the real database:
 * - each rule's cause makes one reminder, for the rep who owns the relation (last 1:1 chat, else
 *   the earliest active follow), due inside work hours when contact pressure allows;
 * - time-only obstacles defer it (the reason kept on the reminder), event-bound ones hold it
 *   back and are recorded once per cause;
 * - a customer who deleted the rep gets no reminder, and the relation's open reminders close with
 *   that reason — when the deletion is processed, and even when it is processed while a care run
 *   has already decided to remind that rep.
 */

// Friday 09:00 in Beijing. Core customers' quiet hours end at 09:00.
const NOW = new Date('2026-11-20T09:00:00+08:00');
const T = NOW.getTime();
const HOUR = 3_600_000;
const API_TOKEN = 'reminder-rules-token-0123456789abcdef';

async function storeTier(db: Database, ext: string, tier: string, stage: string): Promise<void> {
  await db.exec(`INSERT INTO customer_tiers (external_user_id, tier, scored_tier, score, reasons, stage, stage_signals, computed_at)
    VALUES (?, ?, ?, 50, '[]', ?, '[]', ?)`, [ext, tier, tier, stage, T]);
}

async function seedWorld(app: TestApp): Promise<void> {
  const db = app.services.db;
  await db.exec("INSERT INTO members (user_id, name, updated_at) VALUES ('zhaomin', '赵敏', ?), ('lisi', '李四', ?)", [T, T]);
  await seedCustomers(db, [
    { id: 'wmBDAY', name: '钱女士', rep: 'zhaomin', addedAt: T - 400 * DAY, inbound: [T - 3 * DAY], outbound: [T - 3 * DAY + 60_000] },
    { id: 'wmREVISIT', name: '陈建国', rep: 'lisi', addedAt: T - 300 * DAY, inbound: [T - 20 * DAY], outbound: [T - 20 * DAY + 60_000] },
    { id: 'wmRISK', name: '周先生', rep: 'zhaomin', addedAt: T - 500 * DAY, inbound: [T - 200 * DAY], outbound: [T - 200 * DAY + 60_000] },
    { id: 'wmGAP', name: '吴女士', rep: 'zhaomin', addedAt: T - 300 * DAY, inbound: [T - 5 * DAY], outbound: [T - 5 * DAY + 60_000],
      touches: [{ at: T - DAY, category: 'care', ref: 'greeting' }] },
    { id: 'wmGONE', name: '郑先生', rep: 'zhaomin', addedAt: T - 300 * DAY, ended: { at: T - 2 * DAY, by: 'customer_deleted' } },
    { id: 'wmUPSET', name: '孙先生', rep: 'zhaomin', addedAt: T - 300 * DAY, inbound: [T - 4 * DAY], outbound: [T - 4 * DAY + 60_000] },
    { id: 'wmWAIT', name: '王女士', rep: 'zhaomin', addedAt: T - 300 * DAY, outbound: [T - 10 * DAY], inbound: [T - 40 * 60_000] },
  ], T);
  await db.exec("UPDATE follows SET remark = '陈先生-意向强' WHERE external_user_id = 'wmREVISIT'");
  // wmRISK: zhaomin added them first, but lisi is the one who talked with them last.
  await db.exec(`INSERT INTO follows (user_id, external_user_id, status, added_at, last_event_at, created_at, updated_at)
    VALUES ('lisi', 'wmRISK', 'active', ?, ?, ?, ?)`, [T - 100 * DAY, T - 100 * DAY, T, T]);
  await db.exec(`INSERT INTO messages (msgid, channel, direction, msg_type, external_user_id, user_id, text, msg_time, created_at)
    VALUES ('risk-lisi', 'archive', 'out', 'text', 'wmRISK', 'lisi', '周先生好', ?, ?)`, [T - 70 * DAY, T]);
  for (const ext of ['wmBDAY', 'wmREVISIT', 'wmGAP', 'wmGONE', 'wmUPSET', 'wmWAIT']) await storeTier(db, ext, 'core', 'active');
  await storeTier(db, 'wmRISK', 'key', 'at_risk');
  await db.exec(`INSERT INTO complaints (external_user_id, user_id, source, source_ref, status, excerpt, opened_at, confirmed_at, confirmed_by, updated_at)
    VALUES ('wmUPSET', 'zhaomin', 'rep', 'r-1', 'confirmed', '大衣掉毛', ?, ?, 'zhaomin', ?)`, [T - 2 * DAY, T - 2 * DAY, T - 2 * DAY]);
  // A reminder made while the relation was still there.
  await db.exec(`INSERT INTO reminders (external_user_id, user_id, kind, rule_key, title, message, due_at, status, created_at, updated_at)
    VALUES ('wmGONE', 'zhaomin', 'revisit', 'revisit:wmGONE:2026-11-01', '定期回访', NULL, ?, 'open', ?, ?)`, [T - 19 * DAY, T - 19 * DAY, T - 19 * DAY]);
  // Birthdays come through the data API (WeCom has none).
  const res = await fetch(`${app.url}/api/customers/attributes`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${API_TOKEN}` },
    body: JSON.stringify({ customers: [
      { external_user_id: 'wmBDAY', birthday: '1990-11-21' },
      { external_user_id: 'wmGAP', birthday: '11-20' },
      { external_user_id: 'wmGONE', birthday: '11-20' },
      { external_user_id: 'wmUPSET', birthday: '1985-11-21' },
    ] }),
  });
  expect(res.status).toBe(200);
}

interface Row { external_user_id: string; user_id: string; kind: string; rule_key: string; status: string; due: string; title: string; message: string | null; reason: string | null; closed_reason: string | null }

async function reminders(db: Database): Promise<Row[]> {
  const rows = await db.query<Omit<Row, 'due'> & { due_at: unknown }>(
    'SELECT external_user_id, user_id, kind, rule_key, status, due_at, title, message, reason, closed_reason FROM reminders ORDER BY rule_key');
  return rows.map(({ due_at, ...r }) => ({ ...r, due: new Date(Number(due_at)).toISOString() }));
}

const at = (iso: string) => new Date(iso).toISOString();

describe('care reminder rules on the database', () => {
  let app: TestApp;
  let runner: JobRunner;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW), env: { FENCUN_API_TOKEN: API_TOKEN } });
    runner = new JobRunner(app.services, allJobs());
    await seedWorld(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should make one reminder per cause for the owning rep, in work hours, deferred or held back by pressure', async () => {
    const summary = await runner.runNow(findJob('care-reminders')!, NOW);
    expect(summary).toEqual({ candidates: 5, created: 4, suppressed: 1, held: 1, closed: 1 });
    const rows = await reminders(app.services.db);
    expect(rows.map((r) => [r.external_user_id, r.user_id, r.kind, r.rule_key, r.status, r.due, r.closed_reason])).toEqual([
      ['wmRISK', 'lisi', 'churn_risk', 'at_risk:wmRISK:2026-05-04', 'open', at('2026-11-20T09:00:00+08:00'), null],
      // 21 Nov is a Saturday: greeted on the Friday.
      ['wmBDAY', 'zhaomin', 'birthday', 'birthday:wmBDAY:2026', 'open', at('2026-11-20T09:00:00+08:00'), null],
      // Greeted yesterday: the 48 h gap ends on Saturday, so the greeting waits for Monday's work hours.
      ['wmGAP', 'zhaomin', 'birthday', 'birthday:wmGAP:2026', 'open', at('2026-11-23T09:00:00+08:00'), null],
      ['wmREVISIT', 'lisi', 'revisit', 'revisit:wmREVISIT:2026-11-14', 'open', at('2026-11-20T09:00:00+08:00'), null],
      // The customer deleted the rep: the open reminder closes with that reason.
      ['wmGONE', 'zhaomin', 'revisit', 'revisit:wmGONE:2026-11-01', 'closed', at('2026-11-01T09:00:00+08:00'), 'customer_deleted'],
    ].sort((a, b) => String(a[3]).localeCompare(String(b[3]))));
    const byKey = new Map(rows.map((r) => [r.rule_key, r]));
    expect(byKey.get('birthday:wmGAP:2026')!.reason).toBe('11月20日是客户生日；距上次主动联系太近，顺延到周一 09:00');
    // The 话术 addresses the customer by the safe part of the remark, never the note behind it.
    const revisit = byKey.get('revisit:wmREVISIT:2026-11-14')!;
    expect(revisit.message).toMatch(/^陈先生您好/);
    expect(revisit.message).not.toContain('意向强');
    expect(revisit.reason).toBe('已 19 天没有交流，核心客户建议每 14 天回访一次');
    expect(byKey.get('at_risk:wmRISK:2026-05-04')!.message).toMatch(/^周先生，最近还好吗/);
    // 孙先生 has an open complaint: his birthday greeting is held back and recorded, not made.
    const denials = await app.services.db.query<{ external_user_id: string; cause_key: string; reasons: string }>(
      "SELECT external_user_id, cause_key, reasons FROM pressure_denials WHERE ref_kind = 'reminder'");
    expect(denials).toEqual([{ external_user_id: 'wmUPSET', cause_key: 'birthday:wmUPSET:2026', reasons: 'COMPLAINT_OPEN' }]);
  });

  it('should change nothing when the daily rules run again, the next day or on a second instance at once', async () => {
    const before = await reminders(app.services.db);
    const second = await startTestApp({ clock: fixedClock(NOW), database: app.database });
    try {
      const job = findJob('care-reminders')!;
      const [a, b] = await Promise.all([runner.runNow(job, NOW), new JobRunner(second.services, allJobs()).runNow(job, NOW)]);
      expect([a, b]).toEqual([{ candidates: 5, created: 0, suppressed: 0, held: 1 }, { candidates: 5, created: 0, suppressed: 0, held: 1 }]);
    } finally {
      await second.stop();
    }
    expect(await runner.runNow(findJob('care-reminders')!, new Date(T + DAY))).toMatchObject({ created: 0, suppressed: 0 });
    expect(await reminders(app.services.db)).toEqual(before);
    const [{ n }] = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM pressure_denials WHERE ref_kind = 'reminder'");
    expect(Number(n)).toBe(1);
  });

  it('should remind of a message waiting past the tier\'s response target and of a complaint nobody followed up', async () => {
    const job = findJob('reply-reminders')!;
    expect(await runner.runNow(job, NOW)).toEqual({ candidates: 2, created: 2, suppressed: 0, held: 0 });
    const rows = (await reminders(app.services.db)).filter((r) => r.kind === 'unanswered_reply' || r.kind === 'complaint_follow_up');
    expect(rows.map((r) => [r.external_user_id, r.user_id, r.kind, r.rule_key, r.due])).toEqual([
      ['wmUPSET', 'zhaomin', 'complaint_follow_up', expect.stringMatching(/^complaint:\d+$/), at('2026-11-20T09:00:00+08:00')],
      ['wmWAIT', 'zhaomin', 'unanswered_reply', `sla:wmWAIT:${T - 40 * 60_000}`, at('2026-11-20T09:00:00+08:00')],
    ]);
    expect(rows[1]).toMatchObject({ title: '先回复客户', reason: '客户今天 08:20 发来的消息还没有回复，已超过核心客户 30 分钟的回复时限' });
    expect(rows[1].message).toMatch(/^王女士您好，久等了/);
    // Ten minutes later the same customer is still waiting on the same message: still one reminder.
    expect(await runner.runNow(job, new Date(T + 10 * 60_000))).toMatchObject({ candidates: 2, created: 0 });
  });

  it('should close the open reminders of a relation as the customer\'s deletion is processed, and make none for them after', async () => {
    const xml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`
      + `<CreateTime>${Math.floor(T / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>`
      + '<ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[zhaomin]]></UserID><ExternalUserID><![CDATA[wmBDAY]]></ExternalUserID></xml>';
    expect((await postCallback(app.url, signedPost(xml, { timestamp: Math.floor(T / 1000) }))).status).toBe(200);
    await app.services.processor.drain();
    const bday = (await reminders(app.services.db)).find((r) => r.rule_key === 'birthday:wmBDAY:2026')!;
    expect([bday.status, bday.closed_reason]).toEqual(['closed', 'customer_deleted']);
    const again = await runner.runNow(findJob('care-reminders')!, NOW);
    expect(again).toEqual({ candidates: 4, created: 0, suppressed: 0, held: 1 });
  });
});

describe('a deletion processed while a care run is deciding', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW), env: { FENCUN_API_TOKEN: API_TOKEN } });
    await seedWorld(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should still leave no open reminder for the rep the customer deleted', async () => {
    // The run has read wmBDAY as followed by zhaomin and decided; the deletion commits before its insert.
    const store = app.services.reminders;
    const create = store.create.bind(store);
    let deletedMidRun = false;
    store.create = async (items, now) => {
      if (items.some((r) => r.externalUserId === 'wmBDAY')) {
        const xml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>`
          + `<CreateTime>${Math.floor(T / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event>`
          + '<ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[zhaomin]]></UserID><ExternalUserID><![CDATA[wmBDAY]]></ExternalUserID></xml>';
        expect((await postCallback(app.url, signedPost(xml, { timestamp: Math.floor(T / 1000) }))).status).toBe(200);
        await app.services.processor.drain();
        deletedMidRun = true;
      }
      return create(items, now);
    };
    await new JobRunner(app.services, allJobs()).runNow(findJob('care-reminders')!, NOW);
    expect(deletedMidRun).toBe(true);
    const open = await app.services.db.query<{ rule_key: string }>(
      "SELECT rule_key FROM reminders WHERE external_user_id = 'wmBDAY' AND status = 'open'");
    expect(open).toEqual([]);
    const [row] = await app.services.db.query<{ closed_reason: string }>("SELECT closed_reason FROM reminders WHERE rule_key = 'birthday:wmBDAY:2026'");
    expect(row.closed_reason).toBe('customer_deleted');
  });
});
