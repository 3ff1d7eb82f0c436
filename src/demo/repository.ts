import type { Sql } from '../db/database';
import { chunks, num, placeholders } from '../db/sql';

/**
 * What the demo reads about the corp beyond the data modules' own repositories: the identity
 * picker's list of members by team, the customers in a viewer's scope, and how many customer
 * messages wait for an answer (in bulk, for the picker's markers).
 */

export interface DemoMemberRow {
  userId: string;
  name: string;
  position: string | null;
  team: string;
  /** Order of the member's main department in the address book (teams before management). */
  deptId: number;
  isSupervisor: boolean;
  customers: number;
}

/**
 * Active members who lead someone or follow customers, grouped by main department: teams that
 * hold customers first (in address-book order), then management; in a team, its leader first,
 * then reps by the size of their book.
 */
export async function findDemoMembers(db: Sql): Promise<DemoMemberRow[]> {
  const rows = await db.query<{ user_id: string; name: string; position: string | null; main_department: unknown; dept: string | null; reports: unknown; customers: unknown }>(
    `SELECT m.user_id, m.name, m.position, m.main_department, d.name AS dept,
       (SELECT COUNT(*) FROM members s WHERE s.supervisor_user_id = m.user_id AND s.status = 'active') AS reports,
       (SELECT COUNT(*) FROM follows f WHERE f.user_id = m.user_id AND f.status <> 'ended') AS customers
     FROM members m LEFT JOIN departments d ON d.dept_id = m.main_department
     WHERE m.status = 'active'`);
  const members = rows
    .map((r) => ({
      userId: r.user_id, name: r.name || r.user_id, position: r.position, team: r.dept || '', deptId: num(r.main_department ?? 0),
      isSupervisor: num(r.reports) > 0, customers: num(r.customers),
    }))
    .filter((m) => m.isSupervisor || m.customers > 0);
  const teamCustomers = new Map<number, number>();
  for (const m of members) teamCustomers.set(m.deptId, (teamCustomers.get(m.deptId) ?? 0) + m.customers);
  return members.sort((a, b) =>
    Number((teamCustomers.get(b.deptId) ?? 0) > 0) - Number((teamCustomers.get(a.deptId) ?? 0) > 0)
    || a.deptId - b.deptId
    || Number(b.isSupervisor) - Number(a.isSupervisor)
    || b.customers - a.customers
    || a.userId.localeCompare(b.userId));
}

export interface DemoFollowRow {
  externalUserId: string;
  userId: string;
  name: string;
  /** The WeChat name as WeCom gives it (null when unknown). */
  wecomName: string | null;
  remark: string | null;
  ownerName: string;
  status: string;
  endedBy: string | null;
  lastActivityAt: number;
}

/**
 * The relations a viewer may open in the picker: active ones, and those the customer or rep ended
 * in the last `endedWithinMs` (a lost customer is part of the story; a transfer is not). With
 * `search`, only customers whose name or remark contains it.
 */
export async function findDemoFollows(db: Sql, userIds: string[], o: { now: number; endedWithinMs: number; search?: string; limit: number }): Promise<DemoFollowRow[]> {
  if (userIds.length === 0) return [];
  // '!' escapes LIKE wildcards the same way on SQLite and MySQL (a backslash does not).
  const like = o.search ? `%${o.search.replace(/[!%_]/g, (c) => '!' + c)}%` : null;
  const rows = await db.query<{ external_user_id: string; user_id: string; name: string | null; remark: string | null; owner: string | null;
    status: string; ended_by: string | null; last_at: unknown }>(
    `SELECT f.external_user_id, f.user_id, c.name, f.remark, m.name AS owner, f.status, f.ended_by,
       COALESCE(cf.last_msg_at, f.added_at, 0) AS last_at
     FROM follows f
     LEFT JOIN external_contacts c ON c.external_user_id = f.external_user_id
     LEFT JOIN customer_facts cf ON cf.external_user_id = f.external_user_id
     LEFT JOIN members m ON m.user_id = f.user_id
     WHERE f.user_id IN (${placeholders(userIds.length)})
       AND (f.status <> 'ended' OR (f.ended_by IN ('customer_deleted', 'rep_deleted') AND f.ended_at >= ?))
       ${like ? `AND (c.name LIKE ? ESCAPE '!' OR f.remark LIKE ? ESCAPE '!')` : ''}
     ORDER BY last_at DESC LIMIT ?`,
    [...userIds, o.now - o.endedWithinMs, ...(like ? [like, like] : []), o.limit]);
  return rows.map((r) => ({
    externalUserId: r.external_user_id, userId: r.user_id, name: r.name || r.remark || r.external_user_id, wecomName: r.name, remark: r.remark,
    ownerName: r.owner || r.user_id, status: r.status, endedBy: r.ended_by, lastActivityAt: num(r.last_at),
  }));
}

/** Customer 1:1 messages since each customer's oldest unanswered one (the sidebar's "waiting" count). */
export async function countWaitingMessages(db: Sql, externalUserIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunks(externalUserIds, 500)) {
    const rows = await db.query<{ external_user_id: string; n: unknown }>(
      `SELECT m.external_user_id, COUNT(*) AS n FROM messages m
       JOIN customer_facts cf ON cf.external_user_id = m.external_user_id AND cf.unanswered_since IS NOT NULL
       WHERE m.external_user_id IN (${placeholders(part.length)}) AND m.direction = 'in' AND m.chat_id IS NULL
         AND m.msg_time >= cf.unanswered_since
       GROUP BY m.external_user_id`, part);
    for (const r of rows) out.set(r.external_user_id, num(r.n));
  }
  return out;
}

/** Excerpts of complaints by id (the picker shows what a complaint is about). */
export async function findComplaintExcerpts(db: Sql, ids: number[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(ids, 500)) {
    const rows = await db.query<{ id: unknown; excerpt: string | null }>(
      `SELECT id, excerpt FROM complaints WHERE id IN (${placeholders(part.length)})`, part);
    for (const r of rows) if (r.excerpt) out.set(String(num(r.id)), r.excerpt);
  }
  return out;
}

/** Open reminders of these reps, by customer. */
export async function findOpenRemindersOf(db: Sql, userIds: string[]): Promise<{ id: string; externalUserId: string; userId: string; kind: string; title: string; dueAt: number; message: string | null }[]> {
  if (userIds.length === 0) return [];
  const rows = await db.query<{ id: unknown; external_user_id: string; user_id: string; kind: string; title: string; due_at: unknown; message: string | null }>(
    `SELECT id, external_user_id, user_id, kind, title, due_at, message FROM reminders
     WHERE status = 'open' AND user_id IN (${placeholders(userIds.length)}) ORDER BY due_at, id`, userIds);
  return rows.map((r) => ({ id: String(num(r.id)), externalUserId: r.external_user_id, userId: r.user_id, kind: r.kind, title: r.title, dueAt: num(r.due_at), message: r.message }));
}

/** Customer groups the viewer's scope owns or is in, by name. */
export async function findDemoGroups(db: Sql, userIds: string[], limit: number): Promise<{ chatId: string; name: string; members: number }[]> {
  if (userIds.length === 0) return [];
  const rows = await db.query<{ chat_id: string; name: string | null; n: unknown }>(
    `SELECT g.chat_id, g.name, (SELECT COUNT(*) FROM customer_group_members x WHERE x.chat_id = g.chat_id AND x.left_at IS NULL) AS n
     FROM customer_groups g WHERE g.status = 'active' AND (g.owner_user_id IN (${placeholders(userIds.length)})
       OR g.chat_id IN (SELECT chat_id FROM customer_group_members WHERE member_type = 1 AND left_at IS NULL AND member_id IN (${placeholders(userIds.length)})))
     ORDER BY g.name LIMIT ?`, [...userIds, ...userIds, limit]);
  return rows.map((r) => ({ chatId: r.chat_id, name: r.name || r.chat_id, members: num(r.n) }));
}

/** Every relation as the first reconcile stored it, with how many reps follow the customer. */
export async function findCorpFollows(db: Sql): Promise<{ userId: string; externalUserId: string; name: string; addedAt: number; followers: number }[]> {
  const rows = await db.query<{ user_id: string; external_user_id: string; name: string | null; added_at: unknown; n: unknown }>(
    `SELECT f.user_id, f.external_user_id, c.name, f.added_at,
       (SELECT COUNT(*) FROM follows g WHERE g.external_user_id = f.external_user_id AND g.status <> 'ended') AS n
     FROM follows f LEFT JOIN external_contacts c ON c.external_user_id = f.external_user_id
     WHERE f.status <> 'ended' ORDER BY f.external_user_id, f.added_at, f.user_id`);
  return rows.map((r) => ({ userId: r.user_id, externalUserId: r.external_user_id, name: r.name ?? '', addedAt: num(r.added_at ?? 0), followers: num(r.n) }));
}

export interface DemoCounts {
  members: number;
  /** Members whose stored name is a real name, not their userid. */
  membersNamed: number;
  departments: number;
  supervised: number;
  customers: number;
  follows: number;
  endedByCustomer: number;
  tags: number;
  groups: number;
  orders: number;
  messages: number;
  touches: number;
  complaints: number;
  reminders: number;
  tierHistory: number;
  tiers: Record<string, number>;
  stages: Record<string, number>;
}

/** What the demo database holds, for the closing lines of the seeding and its test. */
export async function countDemoData(db: Sql): Promise<DemoCounts> {
  const one = async (sql: string) => num((await db.query<{ n: unknown }>(sql))[0]?.n ?? 0);
  const grouped = async (sql: string) =>
    Object.fromEntries((await db.query<{ k: string; n: unknown }>(sql)).map((r) => [r.k, num(r.n)]));
  const [members, membersNamed, departments, supervised, customers, follows, endedByCustomer, tags, groups, orders, messages, touches, complaints, reminders, tierHistory, tiers, stages] = await Promise.all([
    one(`SELECT COUNT(*) AS n FROM members WHERE status = 'active'`),
    one(`SELECT COUNT(*) AS n FROM members WHERE status = 'active' AND name <> '' AND name <> user_id`),
    one(`SELECT COUNT(*) AS n FROM departments`),
    one(`SELECT COUNT(*) AS n FROM members WHERE status = 'active' AND supervisor_user_id IS NOT NULL`),
    one(`SELECT COUNT(*) AS n FROM external_contacts`),
    one(`SELECT COUNT(*) AS n FROM follows WHERE status <> 'ended'`),
    one(`SELECT COUNT(*) AS n FROM follows WHERE ended_by = 'customer_deleted'`),
    one(`SELECT COUNT(*) AS n FROM corp_tags`),
    one(`SELECT COUNT(*) AS n FROM customer_groups WHERE status = 'active'`),
    one(`SELECT COUNT(*) AS n FROM orders`),
    one(`SELECT COUNT(*) AS n FROM messages`),
    one(`SELECT COUNT(*) AS n FROM touches`),
    one(`SELECT COUNT(*) AS n FROM complaints`),
    one(`SELECT COUNT(*) AS n FROM reminders WHERE status = 'open'`),
    one(`SELECT COUNT(*) AS n FROM tier_history`),
    grouped(`SELECT tier AS k, COUNT(*) AS n FROM customer_tiers GROUP BY tier`),
    grouped(`SELECT stage AS k, COUNT(*) AS n FROM customer_tiers GROUP BY stage`),
  ]);
  return { members, membersNamed, departments, supervised, customers, follows, endedByCustomer, tags, groups, orders, messages, touches, complaints, reminders, tierHistory, tiers, stages };
}

/** Customers whose message waits for an answer, oldest wait first, with the rep who should answer. */
export async function findWaitingCustomers(db: Sql, limit: number): Promise<{ externalUserId: string; userId: string }[]> {
  const rows = await db.query<{ external_user_id: string; user_id: string }>(
    `SELECT cf.external_user_id, f.user_id FROM customer_facts cf
     JOIN follows f ON f.external_user_id = cf.external_user_id AND f.status = 'active'
     WHERE cf.unanswered_since IS NOT NULL ORDER BY cf.unanswered_since LIMIT ?`, [limit]);
  return rows.map((r) => ({ externalUserId: r.external_user_id, userId: r.user_id }));
}

/** Group owners by how many active customer groups they own, most first (the demo's group calendar picks one). */
export async function findGroupOwners(db: Sql): Promise<{ userId: string; groups: number }[]> {
  const rows = await db.query<{ owner_user_id: string; n: unknown }>(
    `SELECT owner_user_id, COUNT(*) AS n FROM customer_groups WHERE status = 'active' AND owner_user_id IS NOT NULL
     GROUP BY owner_user_id ORDER BY COUNT(*) DESC, owner_user_id`);
  return rows.map((r) => ({ userId: r.owner_user_id, groups: num(r.n) }));
}

/** The earliest planned group send after `after` (the demo's replay steps to it), or null. */
export async function nextPlannedGroupSend(db: Sql, after: number): Promise<number | null> {
  const [r] = await db.query<{ t: unknown }>("SELECT MIN(planned_at) AS t FROM group_post_sends WHERE status = 'planned' AND planned_at > ?", [after]);
  return r?.t == null ? null : num(r.t);
}

/** Group sends by decision and status (the demo's one-line summary and its test). */
export async function countGroupSends(db: Sql, postIds: number[]): Promise<{ decision: string; status: string; reason: string | null; n: number }[]> {
  if (!postIds.length) return [];
  const rows = await db.query<{ decision: string; status: string; reason: string | null; n: unknown }>(
    `SELECT decision, status, reason, COUNT(*) AS n FROM group_post_sends WHERE post_id IN (${placeholders(postIds.length)})
     GROUP BY decision, status, reason ORDER BY decision, status, reason`, postIds);
  return rows.map((r) => ({ decision: r.decision, status: r.status, reason: r.reason ?? null, n: num(r.n) }));
}
