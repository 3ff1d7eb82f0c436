import type { Complaint } from '../complaints/policy';
import type { Sql } from '../db/database';
import { num, placeholders } from '../db/sql';
import { rowToComplaint } from './complaint-rows';

/**
 * The reads the judgement core makes of other capabilities' tables (messages, follows and their
 * tags, complaints, touches, customer_facts, members) to assemble a customer's inputs, in bulk:
 * a fixed number of statements per chunk of customers, or one narrow scan per table at campaign
 * size. Only rows come back; folding them into tiers, relations and pressure is inputs.ts's job.
 * Stored tiers and overrides are in tier-repository.ts.
 */

/** A follows row as relations are folded from it (inputs.ts foldRelations). */
export interface FollowRow { external_user_id: string; status: string; ended_by: string | null; ended_at: unknown; added_at: unknown }

/** The follow statuses in which a rep still follows the customer. */
const ACTIVE_FOLLOW = "('active','half')";

/** Times of customers' 1:1 inbound messages since an instant, per customer (engagement). */
export async function findInboundTimes(db: Sql, ids: string[], since: number): Promise<Map<string, number[]>> {
  const rows = await db.query<{ external_user_id: string; msg_time: unknown }>(
    `SELECT external_user_id, msg_time FROM messages WHERE external_user_id IN (${placeholders(ids.length)})
     AND direction = 'in' AND chat_id IS NULL AND msg_time >= ?`, [...ids, since]);
  return groupBy(rows, (r) => r.external_user_id, (r) => num(r.msg_time));
}

/**
 * How many of one customer's messages since an instant are counted as waiting for a reply: the
 * same messages customer_facts folds into unanswered_since (messages/facts.ts COUNTED), so the
 * count and the age describe the same unanswered messages.
 */
export async function countInboundSince(db: Sql, externalUserId: string, since: number): Promise<number> {
  const [r] = await db.query<{ n: unknown }>(
    `SELECT COUNT(*) AS n FROM messages WHERE external_user_id = ? AND direction = 'in' AND chat_id IS NULL
       AND channel <> 'app' AND msg_type NOT IN ('recall', 'event', 'switch') AND msg_time >= ?`,
    [externalUserId, since]);
  return num(r?.n ?? 0);
}

/** Each customer's tag ids and names (corp tag name first, else the name stored on the follow). */
export async function findTagsOf(db: Sql, ids: string[]): Promise<Map<string, string[]>> {
  const rows = await db.query<{ external_user_id: string; tag_id: string; tag_name: string | null }>(
    `SELECT DISTINCT ft.external_user_id, ft.tag_id, COALESCE(ct.name, ft.tag_name) AS tag_name FROM follow_tags ft
     LEFT JOIN corp_tags ct ON ct.tag_id = ft.tag_id
     WHERE ft.external_user_id IN (${placeholders(ids.length)})`, ids);
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const list = out.get(r.external_user_id) ?? [];
    list.push(r.tag_id);
    if (r.tag_name) list.push(r.tag_name);
    out.set(r.external_user_id, list);
  }
  return out;
}

/** Every follow of these customers, live or ended. */
export async function findFollowRows(db: Sql, ids: string[]): Promise<FollowRow[]> {
  return db.query<FollowRow>(
    `SELECT external_user_id, status, ended_by, ended_at, added_at FROM follows WHERE external_user_id IN (${placeholders(ids.length)})`, ids);
}

/** Every complaint of these customers, per customer. */
export async function findComplaintsOf(db: Sql, ids: string[]): Promise<Map<string, Complaint[]>> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM complaints WHERE external_user_id IN (${placeholders(ids.length)})`, ids);
  return groupBy(rows, (r) => String(r.external_user_id), rowToComplaint);
}

/** The excerpt that raised each complaint, by complaint id (complaints without one are left out). */
export async function findComplaintExcerpts(db: Sql, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<{ id: unknown; excerpt: string | null }>(
    `SELECT id, excerpt FROM complaints WHERE id IN (${placeholders(ids.length)})`, ids.map(Number));
  return new Map(rows.filter((r) => r.excerpt).map((r) => [String(r.id), r.excerpt!]));
}

/** Reps' display names by user id (absent: not synced yet). */
export async function findMemberNames(db: Sql, userIds: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (userIds.length === 0) return names;
  const rows = await db.query<{ user_id: string; name: string }>(
    `SELECT user_id, name FROM members WHERE user_id IN (${placeholders(userIds.length)})`, userIds);
  for (const m of rows) names.set(m.user_id, m.name);
  return names;
}

// The campaign-sized scans: whole narrow tables or ranges, not IN lists (see scanPressureStates).

/** Every touch at or after `since`, in no particular order. */
export async function scanTouchesSince(db: Sql, since: number): Promise<{ external_user_id: string; category: string; at: unknown; source: string }[]> {
  return db.query('SELECT external_user_id, category, at, source FROM touches WHERE at >= ?', [since]);
}

/** Every customer's last inbound instant (customers who never wrote are left out). */
export async function scanLastInbound(db: Sql): Promise<{ external_user_id: string; last_inbound_at: unknown }[]> {
  return db.query('SELECT external_user_id, last_inbound_at FROM customer_facts WHERE last_inbound_at IS NOT NULL');
}

/** The customer of every live follow (one per follow: a customer may repeat). */
export async function scanActivelyFollowed(db: Sql): Promise<{ external_user_id: string }[]> {
  return db.query(`SELECT external_user_id FROM follows WHERE status IN ${ACTIVE_FOLLOW}`);
}

/** Every ended follow, in id order (as a whole-table read returns them, so ties fold the same way). */
export async function scanEndedFollows(db: Sql): Promise<FollowRow[]> {
  return db.query(`SELECT external_user_id, status, ended_by, ended_at, added_at FROM follows WHERE status NOT IN ${ACTIVE_FOLLOW} ORDER BY id`);
}

/** Complaints that can still weigh on pressure: not closed, or closed at or after `closedSince`. */
export async function scanLiveComplaints(db: Sql, closedSince: number): Promise<Map<string, Complaint[]>> {
  const rows = await db.query<Record<string, unknown>>(
    "SELECT * FROM complaints WHERE status <> 'closed' OR closed_at >= ?", [closedSince]);
  return groupBy(rows, (r) => String(r.external_user_id), rowToComplaint);
}

function groupBy<R, V>(rows: R[], key: (r: R) => string, value: (r: R) => V): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k) ?? [];
    list.push(value(r));
    out.set(k, list);
  }
  return out;
}
