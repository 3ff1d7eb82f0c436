import type { Sql } from '../../src/db/database';

/**
 * A small corp for the digest, on Beijing time. The digest of D = 2026-03-02 is sent at
 * 2026-03-03 08:30 +08:00. Departments: 总部(1, boss) > 销售部(2, lead2) > 一组(3, lead3); 总部 > 二组(4, lead4).
 */
export const NOW = new Date('2026-03-03T08:30:00+08:00');
export const DATE = '2026-03-02';
const at = (local: string) => new Date(`${local}+08:00`).getTime();
const DAY = 86_400_000;
export const D = (hhmm: string) => at(`2026-03-02T${hhmm}:00`);

export const MEMBERS = [
  { userId: 'boss', name: '总经理', depts: [1] },
  { userId: 'lead2', name: '销售部长', depts: [2] },
  { userId: 'lead3', name: '一组组长', depts: [3] },
  { userId: 'lead4', name: '二组组长', depts: [4] },
  { userId: 'rep_a', name: '李娜', depts: [3] },
  { userId: 'rep_b', name: '张伟', depts: [3] },
  { userId: 'rep_c', name: '王强', depts: [2] },
  { userId: 'rep_d', name: '赵敏', depts: [4] },
];
export const DEPARTMENTS = [
  { id: 1, name: '总部', parentId: null, leaders: ['boss'] },
  { id: 2, name: '销售部', parentId: 1, leaders: ['lead2'] },
  { id: 3, name: '一组', parentId: 2, leaders: ['lead3'] },
  { id: 4, name: '二组', parentId: 1, leaders: ['lead4'] },
];

export async function seedOrg(db: Sql): Promise<void> {
  for (const d of DEPARTMENTS) {
    await db.exec('INSERT INTO departments (dept_id, name, parent_id, sort_order, leaders, updated_at) VALUES (?,?,?,?,?,?)',
      [d.id, d.name, d.parentId, d.id, JSON.stringify(d.leaders), 0]);
  }
  for (const m of MEMBERS) {
    await db.exec("INSERT INTO members (user_id, name, department_ids, main_department, is_leader, status, updated_at) VALUES (?,?,?,?,?,'active',?)",
      [m.userId, m.name, JSON.stringify(m.depts), m.depts[0], m.userId.startsWith('lead') || m.userId === 'boss' ? 1 : 0, 0]);
  }
}

async function follow(db: Sql, userId: string, ext: string, o: { status?: string; addedAt: number; endedAt?: number; endedBy?: string; remark?: string; state?: string; addWay?: number }) {
  await db.exec(`INSERT INTO follows (user_id, external_user_id, status, remark, add_way, state, added_at, ended_at, ended_by, last_event_at, created_at, updated_at)
    VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
  [userId, ext, o.status ?? 'active', o.remark ?? null, o.addWay ?? 1, o.state ?? null, o.addedAt, o.endedAt ?? null, o.endedBy ?? null, 0, 0, 0]);
}

let changeNo = 0;
async function change(db: Sql, userId: string, ext: string, kind: string, when: number, detail: Record<string, unknown>) {
  await db.exec('INSERT INTO customer_changes (external_user_id, user_id, kind, detail, at, dedupe_key, created_at) VALUES (?,?,?,?,?,?,?)',
    [ext, userId, kind, JSON.stringify(detail), when, `t:${++changeNo}`, 0]);
}

async function customer(db: Sql, ext: string, name: string, tier: string, stage: string, facts: { unansweredSince?: number; lastTouchAt?: number; touches?: number } = {}) {
  await db.exec('INSERT INTO external_contacts (external_user_id, name, created_at, updated_at) VALUES (?,?,?,?)', [ext, name, 0, 0]);
  await db.exec("INSERT INTO customer_tiers (external_user_id, tier, scored_tier, score, reasons, override, stage, stage_signals, computed_at) VALUES (?,?,?,0,'[]',NULL,?,'[]',0)",
    [ext, tier, tier, stage]);
  await db.exec('INSERT INTO customer_facts (external_user_id, unanswered_since, last_touch_at, touches_since_inbound, updated_at) VALUES (?,?,?,?,0)',
    [ext, facts.unansweredSince ?? null, facts.lastTouchAt ?? null, facts.touches ?? 0]);
}

let msgNo = 0;
async function message(db: Sql, ext: string, userId: string, direction: 'in' | 'out', when: number) {
  await db.exec("INSERT INTO messages (msgid, channel, direction, msg_type, external_user_id, user_id, text, msg_time, created_at) VALUES (?,'archive',?,'text',?,?,'…',?,0)",
    [`t-${++msgNo}`, direction, ext, userId, when]);
}

let reminderNo = 0;
async function reminder(db: Sql, userId: string, ext: string, dueAt: number, status: string, doneAt: number | null) {
  await db.exec(`INSERT INTO reminders (external_user_id, user_id, kind, rule_key, title, message, due_at, status, done_at, created_at, updated_at)
    VALUES (?,?,'revisit',?,'回访',NULL,?,?,?,0,0)`, [ext, userId, `t:${++reminderNo}`, dueAt, status, doneAt]);
}

let denialNo = 0;
async function denial(db: Sql, ext: string, reasons: string, when: number) {
  await db.exec("INSERT INTO pressure_denials (external_user_id, category, reasons, ref_kind, ref_id, cause_key, at) VALUES (?,'marketing',?,'campaign','1',?,?)",
    [ext, reasons, `t:${++denialNo}`, when]);
}

async function campaignRecipient(db: Sql, ext: string, decision: string, reason: string | null, result: string, resultAt: number | null, updatedAt: number) {
  await db.exec(`INSERT INTO campaign_recipients (campaign_id, external_user_id, decision, reason, explanation, sender, route, batch_no, send_at, result, result_at, updated_at)
    VALUES (1,?,?,?,'',NULL,NULL,NULL,NULL,?,?,?)`, [ext, decision, reason, result, resultAt, updatedAt]);
}

let sendNo = 0;
async function groupSend(db: Sql, chatId: string, owner: string, occurrenceAt: number, decision: string, status: string, reason: string | null, resultAt: number | null) {
  await db.exec(`INSERT INTO group_post_sends (post_id, occurrence_at, chat_id, owner_user_id, decision, planned_at, reason, explanation, status, outbox_key, outbox_id, msgid, result_at, decided_at, updated_at)
    VALUES (?,?,?,?,?,?,?,'',?,NULL,NULL,NULL,?,0,0)`, [++sendNo, occurrenceAt, chatId, owner, decision, decision === 'skipped' ? null : occurrenceAt, reason, status, resultAt]);
}

/**
 * Team 一组 (rep_a, rep_b) on D, and one customer of 二组. What the digest of lead3 must say is
 * worked out by hand beside each row (the brute force the tests compare against).
 */
export async function seedBook(db: Sql): Promise<void> {
  const long = at('2025-06-01T10:00:00');
  // c1 core, deleted rep_a at 23:59 on D: lost, named with the remark marked as one.
  await customer(db, 'c1', '王芳', 'core', 'lost');
  await follow(db, 'rep_a', 'c1', { status: 'ended', addedAt: long, endedAt: D('23:59'), endedBy: 'customer_deleted', remark: '王姐-VIP' });
  await change(db, 'rep_a', 'c1', 'follow_ended', D('23:59'), { endedBy: 'customer_deleted' });
  // c2 deleted rep_a at 00:01 the next day: not D's.
  await customer(db, 'c2', '孙丽', 'regular', 'lost');
  await follow(db, 'rep_a', 'c2', { status: 'ended', addedAt: long, endedAt: D('23:59') + 2 * 60_000, endedBy: 'customer_deleted' });
  await change(db, 'rep_a', 'c2', 'follow_ended', D('23:59') + 2 * 60_000, { endedBy: 'customer_deleted' });
  // c3 transferred rep_b -> rep_a at 10:00: neither lost nor new.
  await customer(db, 'c3', '周敏', 'regular', 'active', { lastTouchAt: D('10:00') });
  await follow(db, 'rep_b', 'c3', { status: 'ended', addedAt: long, endedAt: D('10:00'), endedBy: 'transfer' });
  await change(db, 'rep_b', 'c3', 'follow_ended', D('10:00'), { endedBy: 'transfer' });
  await follow(db, 'rep_a', 'c3', { addedAt: D('10:00'), addWay: 202 });
  await change(db, 'rep_a', 'c3', 'follow_added', D('10:00'), { state: null, addWay: 202 });
  // c4 deleted rep_b at 09:00 and added them again at 15:00 (store QR): lost once and new once.
  await customer(db, 'c4', '吴静', 'regular', 'new', { lastTouchAt: D('15:00') });
  await follow(db, 'rep_b', 'c4', { addedAt: D('15:00'), state: 'store_qr' });
  await change(db, 'rep_b', 'c4', 'follow_ended', D('09:00'), { endedBy: 'customer_deleted' });
  await change(db, 'rep_b', 'c4', 'follow_added', D('15:00'), { state: 'store_qr', addWay: 1, again: true });
  // c5 new on D from the live stream; wrote at 20:00 and nobody answered (potential: 480 min target, judged by 08:30).
  await customer(db, 'c5', '郑洁', 'potential', 'new', { unansweredSince: D('20:00') });
  await follow(db, 'rep_a', 'c5', { addedAt: D('12:00'), state: 'live_0302' });
  await change(db, 'rep_a', 'c5', 'follow_added', D('12:00'), { state: 'live_0302', addWay: 1 });
  await message(db, 'c5', 'rep_a', 'in', D('20:00'));
  // c6 core, at risk, waiting 2 h now (target 30 min), last cared for 20 days ago (cadence 14): waiting, at risk, under-served.
  await customer(db, 'c6', '陈静', 'core', 'at_risk', { unansweredSince: NOW.getTime() - 2 * 3_600_000, lastTouchAt: NOW.getTime() - 20 * DAY });
  await follow(db, 'rep_a', 'c6', { addedAt: long, remark: '陈姐' });
  await message(db, 'c6', 'rep_a', 'in', D('09:00'));
  await message(db, 'c6', 'rep_a', 'out', D('09:20')); // answered in 20 min: compliant
  await message(db, 'c6', 'rep_a', 'in', NOW.getTime() - 2 * 3_600_000);
  // c7 key, dormant, three touches unanswered: saturated and dormant, cared for 5 days ago (cadence 30).
  await customer(db, 'c7', '林娟', 'key', 'dormant', { lastTouchAt: NOW.getTime() - 5 * DAY, touches: 3 });
  await follow(db, 'rep_b', 'c7', { addedAt: long });
  await message(db, 'c7', 'rep_b', 'in', D('10:00'));
  await message(db, 'c7', 'rep_b', 'out', D('12:00')); // 2 h for a 60 min target: not compliant
  // Orders (90-day window): c6 twice, c7 once -> repeat purchase 1/2.
  await db.exec("INSERT INTO orders (external_order_id, external_user_id, amount, paid_at, source, created_at, updated_at) VALUES ('o1','c6',1200,?,'api',0,0),('o2','c6',800,?,'api',0,0),('o3','c7',300,?,'api',0,0)",
    [D('10:00') - 10 * DAY, D('10:00') - 40 * DAY, D('10:00') - 5 * DAY]);
  // Reminders: rep_a done one of two due on D; one due the day before, done then; rep_b's closed one does not count.
  await reminder(db, 'rep_a', 'c6', D('10:00'), 'done', D('11:00'));
  await reminder(db, 'rep_a', 'c6', D('14:00'), 'open', null);
  await reminder(db, 'rep_a', 'c6', D('10:00') - DAY, 'done', D('11:00') - DAY);
  await reminder(db, 'rep_b', 'c7', D('09:00'), 'closed', null);
  // Over-contact prevented on D: two (each once, under its first reason); one the day before.
  await denial(db, 'c6', 'WEEKLY_CAP,MIN_GAP', D('11:00'));
  await denial(db, 'c7', 'BACKOFF_PAUSED', D('12:00'));
  await denial(db, 'c6', 'DAILY_CAP', D('11:00') - DAY);
  // Campaign recipients decided on D (rep_a's c6 sent, rep_b's c7 deferred; c3 capped; c5 excluded for an unrelated reason, not counted).
  await campaignRecipient(db, 'c6', 'admitted', null, 'sent', D('10:30'), D('10:30'));
  await campaignRecipient(db, 'c7', 'deferred', 'QUIET_HOURS', 'pending', null, D('22:00'));
  await campaignRecipient(db, 'c3', 'excluded', 'WEEKLY_CAP', 'excluded', null, D('09:00'));
  await campaignRecipient(db, 'c5', 'excluded', 'OPTED_OUT', 'excluded', null, D('09:00'));
  // Group posts owned by 一组's reps: on D rep_a's two sent (one moved from the morning and sent the same day: sent, once),
  // rep_b's one moved to tomorrow (deferred) and one skipped by the weekly cap (capped), one WeCom refused
  // as over quota (capped); one skipped because the group is gone (not pressure: not counted); one
  // scheduled the day before and sent on D (sent); one scheduled on D and sent the next day after a move
  // (deferred on D); rep_d's one sent (二组's, never 一组's).
  await groupSend(db, 'g1', 'rep_a', D('10:00'), 'send', 'sent', null, D('10:01'));
  await groupSend(db, 'g2', 'rep_a', D('08:00'), 'moved', 'sent', 'QUIET_HOURS', D('10:02'));
  await groupSend(db, 'g3', 'rep_b', D('21:00'), 'moved', 'planned', 'DAILY_CAP', null);
  await groupSend(db, 'g4', 'rep_b', D('10:00'), 'skipped', 'skipped', 'WEEKLY_CAP', null);
  await groupSend(db, 'g5', 'rep_b', D('10:00'), 'send', 'over_quota', null, D('10:05'));
  await groupSend(db, 'g6', 'rep_b', D('10:00'), 'skipped', 'skipped', 'GROUP_NOT_FOUND', null);
  await groupSend(db, 'g7', 'rep_a', D('10:00') - DAY, 'moved', 'sent', 'MIN_GAP', D('09:00'));
  await groupSend(db, 'g8', 'rep_a', D('20:00'), 'moved', 'sent', 'QUIET_HOURS', D('23:59') + 11 * 3_600_000);
  await groupSend(db, 'g9', 'rep_d', D('10:00'), 'send', 'sent', null, D('10:01'));
  // c9 is 赵敏's (二组) since long; 李娜 (一组) added them after D. Owned by 赵敏 whoever reads: the touch
  // the policy stopped on D is 二组's, in the job's corp-wide read and in 一组's own page alike.
  await customer(db, 'c9', '钱红', 'regular', 'active');
  await follow(db, 'rep_d', 'c9', { addedAt: long });
  await follow(db, 'rep_a', 'c9', { addedAt: D('23:59') + 31 * 60_000 });
  await denial(db, 'c9', 'DAILY_CAP', D('16:00'));
  // 二组's new customer: never in 一组's digest.
  await customer(db, 'c8', '何琳', 'regular', 'new');
  await follow(db, 'rep_d', 'c8', { addedAt: D('13:00'), state: 'store_qr' });
  await change(db, 'rep_d', 'c8', 'follow_added', D('13:00'), { state: 'store_qr', addWay: 1 });
}
