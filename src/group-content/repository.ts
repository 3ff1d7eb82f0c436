import type { Sql } from '../db/database';
import { num, numOrNull } from '../db/sql';
import { PRESSURE_HISTORY_DAYS, type PressureState } from '../pressure';
import { emptyGroupState } from './plan';
import type { GroupDecision, GroupLabel, GroupRef, NewPost, Post, PostStatus, SendStatus, Target } from './types';

/** SQL for group content; the service decides, this only reads and writes rows. */

const DAY = 86_400_000;

function forUpdate(db: Sql): string {
  return db.dialect === 'mysql' ? ' FOR UPDATE' : '';
}

export async function insertPost(tx: Sql, p: NewPost, o: { first: number; last: number; source: string; now: number }): Promise<number> {
  await tx.exec(
    `INSERT INTO group_posts (name, creator, target, content, schedule, move_within_hours, first_at, last_at, status, source, decided_through, created_at, cancelled_at, updated_at)
     VALUES (?,?,?,?,?,?,?,?,'active',?,NULL,?,NULL,?)`,
    [p.name, p.creator, JSON.stringify(p.target), JSON.stringify(p.content), JSON.stringify(p.schedule), p.moveWithinHours, o.first, o.last, o.source, o.now, o.now]);
  const [r] = await tx.query<{ id: unknown }>(tx.dialect === 'mysql' ? 'SELECT LAST_INSERT_ID() AS id' : 'SELECT last_insert_rowid() AS id');
  return num(r.id);
}

function toPost(r: Record<string, unknown>): Post {
  return {
    id: num(r.id), name: String(r.name), creator: String(r.creator), target: JSON.parse(String(r.target)) as Target,
    content: JSON.parse(String(r.content)) as Post['content'], schedule: JSON.parse(String(r.schedule)) as Post['schedule'],
    moveWithinHours: num(r.move_within_hours), status: String(r.status) as PostStatus, source: String(r.source),
    firstAt: num(r.first_at), lastAt: num(r.last_at), decidedThrough: numOrNull(r.decided_through),
    createdAt: num(r.created_at), cancelledAt: numOrNull(r.cancelled_at),
  };
}

export async function findPost(db: Sql, id: number): Promise<Post | null> {
  const rows = await db.query<Record<string, unknown>>('SELECT * FROM group_posts WHERE id = ?', [id]);
  return rows[0] ? toPost(rows[0]) : null;
}

/** Posts with an occurrence in [from, to) by their bounds, any status (list). */
export async function findPostsBetween(db: Sql, from: number, to: number): Promise<Post[]> {
  const rows = await db.query<Record<string, unknown>>('SELECT * FROM group_posts WHERE first_at < ? AND last_at >= ? ORDER BY first_at, id', [to, from]);
  return rows.map(toPost);
}

export async function findActivePosts(db: Sql): Promise<Post[]> {
  const rows = await db.query<Record<string, unknown>>("SELECT * FROM group_posts WHERE status = 'active' ORDER BY id", []);
  return rows.map(toPost);
}

/**
 * Active posts with an occurrence due by `now` not yet decided, locked (MariaDB) for the
 * deciding transaction: a second decider waits here and then sees the first one's decisions.
 */
export async function lockDuePosts(tx: Sql, now: number): Promise<Post[]> {
  const rows = await tx.query<Record<string, unknown>>(
    `SELECT * FROM group_posts WHERE status = 'active' ORDER BY id${forUpdate(tx)}`, []);
  return rows.map(toPost).filter((p) => p.firstAt <= now && (p.decidedThrough === null || p.decidedThrough < p.lastAt));
}

/** Moves a post's decided_through forward only from the value the caller read (0 rows: someone else decided). */
export async function advanceDecided(tx: Sql, id: number, from: number | null, to: number, done: boolean, now: number): Promise<boolean> {
  const n = await tx.exec(
    `UPDATE group_posts SET decided_through = ?, status = ?, updated_at = ? WHERE id = ? AND status = 'active' AND ${from === null ? 'decided_through IS NULL' : 'decided_through = ?'}`,
    [to, done ? 'done' : 'active', now, id, ...(from === null ? [] : [from])]);
  return n === 1;
}

export async function markPost(db: Sql, id: number, status: PostStatus, now: number): Promise<boolean> {
  const n = await db.exec(
    `UPDATE group_posts SET status = ?, cancelled_at = ${status === 'cancelled' ? '?' : 'cancelled_at'}, updated_at = ? WHERE id = ? AND status = 'active'`,
    status === 'cancelled' ? [status, now, now, id] : [status, now, id]);
  return n === 1;
}

export interface GroupCandidate extends GroupRef {
  status: string;
}

/** Active groups matching the SQL-checkable criteria (owners, explicit list, member tags); the name pattern is checked by the caller. */
export async function findGroups(db: Sql, t: Target): Promise<GroupCandidate[]> {
  const where = ["g.status = 'active'"];
  const params: unknown[] = [];
  if (t.owners) {
    where.push(`g.owner_user_id IN (${t.owners.map(() => '?').join(',')})`);
    params.push(...t.owners);
  }
  if (t.chatIds) {
    where.push(`g.chat_id IN (${t.chatIds.map(() => '?').join(',')})`);
    params.push(...t.chatIds);
  }
  if (t.tags) {
    const marks = t.tags.map(() => '?').join(',');
    where.push(`g.chat_id IN (SELECT m.chat_id FROM customer_group_members m JOIN follow_tags ft ON ft.external_user_id = m.member_id
      WHERE m.left_at IS NULL AND m.member_type = 2 AND (ft.tag_id IN (${marks}) OR ft.tag_name IN (${marks})))`);
    params.push(...t.tags, ...t.tags);
  }
  const rows = await db.query<Record<string, unknown>>(
    `SELECT g.chat_id, g.name, g.owner_user_id, g.status FROM customer_groups g WHERE ${where.join(' AND ')} ORDER BY g.chat_id`, params);
  return rows.map((r) => ({ chatId: String(r.chat_id), name: String(r.name ?? ''), ownerUserId: (r.owner_user_id as string | null) ?? null, status: String(r.status) }));
}

/** Statuses that count against a group's caps: committed to, or sent. */
const COUNTED: SendStatus[] = ['planned', 'dispatched', 'sent'];

/**
 * Each group's posts as pressure touches: every send committed to (planned, handed to the
 * outbox) or made, at its send time, over the history pressure needs.
 */
export async function loadGroupStates(db: Sql, chatIds: string[], now: number): Promise<Map<string, PressureState>> {
  const out = new Map<string, PressureState>(chatIds.map((c) => [c, emptyGroupState(c)]));
  for (let i = 0; i < chatIds.length; i += 500) {
    const part = chatIds.slice(i, i + 500);
    const rows = await db.query<{ chat_id: string; at: unknown }>(
      `SELECT chat_id, COALESCE(result_at, planned_at) AS at FROM group_post_sends
       WHERE chat_id IN (${part.map(() => '?').join(',')}) AND status IN (${COUNTED.map(() => '?').join(',')}) AND planned_at >= ?`,
      [...part, ...COUNTED, now - (PRESSURE_HISTORY_DAYS + 1) * DAY]);
    for (const r of rows) out.get(r.chat_id)?.touches.push({ at: new Date(num(r.at)), category: 'group_content' });
  }
  return out;
}

export async function insertDecisions(tx: Sql, postId: number, occurrenceAt: number, rows: { d: GroupDecision; explanation: string }[], now: number): Promise<void> {
  for (const { d, explanation } of rows) {
    await tx.exec(
      `INSERT INTO group_post_sends (post_id, occurrence_at, chat_id, owner_user_id, decision, planned_at, reason, explanation, status, outbox_key, outbox_id, msgid, result_at, decided_at, updated_at)
       VALUES (?,?,?,?,?,?,?,?,?,NULL,NULL,NULL,NULL,?,?)`,
      [postId, occurrenceAt, d.chatId, d.owner, d.kind, d.kind === 'skipped' ? null : d.at, d.kind === 'send' ? null : d.reason, explanation,
        d.kind === 'skipped' ? 'skipped' : 'planned', now, now]);
  }
}

export interface SendRow {
  id: number;
  postId: number;
  occurrenceAt: number;
  chatId: string;
  owner: string | null;
  decision: GroupDecision['kind'];
  plannedAt: number | null;
  reason: string | null;
  explanation: string;
  status: SendStatus;
  outboxKey: string | null;
  outboxId: number | null;
  msgId: string | null;
  resultAt: number | null;
}

function toSend(r: Record<string, unknown>): SendRow {
  return {
    id: num(r.id), postId: num(r.post_id), occurrenceAt: num(r.occurrence_at), chatId: String(r.chat_id), owner: (r.owner_user_id as string | null) ?? null,
    decision: String(r.decision) as SendRow['decision'], plannedAt: numOrNull(r.planned_at), reason: (r.reason as string | null) ?? null,
    explanation: String(r.explanation ?? ''), status: String(r.status) as SendStatus, outboxKey: (r.outbox_key as string | null) ?? null,
    outboxId: numOrNull(r.outbox_id), msgId: (r.msgid as string | null) ?? null, resultAt: numOrNull(r.result_at),
  };
}

export async function findDuePlanned(db: Sql, now: number): Promise<SendRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    "SELECT * FROM group_post_sends WHERE status = 'planned' AND planned_at <= ? ORDER BY planned_at, post_id, owner_user_id, chat_id", [now]);
  return rows.map(toSend);
}

/** planned → dispatched for exactly these rows, with the intent that sends them; returns how many moved. */
export async function markDispatched(tx: Sql, ids: number[], outboxId: number, key: string, now: number): Promise<number> {
  return tx.exec(`UPDATE group_post_sends SET status = 'dispatched', outbox_id = ?, outbox_key = ?, updated_at = ? WHERE status = 'planned' AND id IN (${ids.map(() => '?').join(',')})`,
    [outboxId, key, now, ...ids]);
}

export async function markSkipped(tx: Sql, ids: number[], reason: string, explanation: string, now: number): Promise<number> {
  return tx.exec(`UPDATE group_post_sends SET status = 'skipped', reason = ?, explanation = ?, updated_at = ? WHERE status = 'planned' AND id IN (${ids.map(() => '?').join(',')})`,
    [reason, explanation, now, ...ids]);
}

export async function findDispatched(db: Sql): Promise<SendRow[]> {
  const rows = await db.query<Record<string, unknown>>("SELECT * FROM group_post_sends WHERE status = 'dispatched' ORDER BY outbox_id, chat_id", []);
  return rows.map(toSend);
}

export async function setResult(db: Sql, id: number, r: { status: SendStatus; msgId?: string | null; at?: number | null; note?: string }, now: number): Promise<void> {
  await db.exec(
    `UPDATE group_post_sends SET status = ?, msgid = COALESCE(?, msgid), result_at = COALESCE(?, result_at)${r.note ? ', explanation = ?' : ''}, updated_at = ?
     WHERE id = ? AND status = 'dispatched'`,
    [r.status, r.msgId ?? null, r.at ?? null, ...(r.note ? [r.note] : []), now, id]);
}

export async function setMsgId(db: Sql, id: number, msgId: string, now: number): Promise<void> {
  await db.exec('UPDATE group_post_sends SET msgid = ?, updated_at = ? WHERE id = ? AND msgid IS NULL', [msgId, now, id]);
}

export async function cancelPlanned(tx: Sql, postId: number, now: number): Promise<number> {
  return tx.exec("UPDATE group_post_sends SET status = 'cancelled', updated_at = ? WHERE post_id = ? AND status = 'planned'", [now, postId]);
}

/** A send with what operators know it by: the group's name and its owner's, joined in the same query. */
export type NamedSendRow = SendRow & GroupLabel;

/**
 * The group's name as Fencun synced it ("" for a WeCom group without a name, null when Fencun has
 * no copy of the group) and the owner's name (null when unknown or blank), from a row that
 * LEFT JOINed customer_groups AS g (g.chat_id selected as group_chat) and members.
 */
function toLabel(r: Record<string, unknown>): GroupLabel {
  const owner = r.owner_name === null || r.owner_name === undefined ? '' : String(r.owner_name);
  return { groupName: r.group_chat === null || r.group_chat === undefined ? null : String(r.group_name ?? ''), ownerName: owner || null };
}

export async function findSends(db: Sql, o: { postId?: number; from?: number; to?: number }): Promise<NamedSendRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (o.postId !== undefined) { where.push('s.post_id = ?'); params.push(o.postId); }
  if (o.from !== undefined) { where.push('s.occurrence_at >= ?'); params.push(o.from); }
  if (o.to !== undefined) { where.push('s.occurrence_at < ?'); params.push(o.to); }
  // The owner's name is the owner the send was decided for (the group may have changed hands since).
  const rows = await db.query<Record<string, unknown>>(
    `SELECT s.*, g.chat_id AS group_chat, g.name AS group_name, m.name AS owner_name FROM group_post_sends s
     LEFT JOIN customer_groups g ON g.chat_id = s.chat_id LEFT JOIN members m ON m.user_id = s.owner_user_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.occurrence_at, s.post_id, s.chat_id`, params);
  return rows.map((r) => ({ ...toSend(r), ...toLabel(r) }));
}

/** Names of these groups and of their current owners, by chat id (calendar previews); a chat id Fencun does not know is absent. */
export async function findGroupLabels(db: Sql, chatIds: string[]): Promise<Map<string, GroupLabel>> {
  const out = new Map<string, GroupLabel>();
  const unique = [...new Set(chatIds)];
  for (let i = 0; i < unique.length; i += 500) {
    const part = unique.slice(i, i + 500);
    const rows = await db.query<Record<string, unknown>>(
      `SELECT g.chat_id AS group_chat, g.name AS group_name, m.name AS owner_name FROM customer_groups g
       LEFT JOIN members m ON m.user_id = g.owner_user_id WHERE g.chat_id IN (${part.map(() => '?').join(',')})`, part);
    for (const r of rows) out.set(String(r.group_chat), toLabel(r));
  }
  return out;
}

export async function countResults(db: Sql, postId: number): Promise<Record<string, number>> {
  const rows = await db.query<{ status: string; n: unknown }>('SELECT status, COUNT(*) AS n FROM group_post_sends WHERE post_id = ? GROUP BY status', [postId]);
  return Object.fromEntries(rows.map((r) => [r.status, num(r.n)]));
}
