import type { Sql } from '../db/database';
import { num, numOrNull } from '../db/sql';
import { CustomerChange, recordChanges } from '../contacts/history';
import type { GroupChangeHint, GroupChat } from './types';

/** Customer groups and their membership; joins and leaves of customers go to their history. */

export interface GroupWrite {
  at: number;
  now: number;
  cause: string;
  runId?: string;
  hint?: GroupChangeHint;
}

export interface GroupSaveResult {
  outcome: 'created' | 'updated' | 'unchanged' | 'stale';
  joined: number;
  left: number;
}

/** Stores the truth of one group (groupchat/get) and diffs its membership against ours. */
export async function saveGroupChat(tx: Sql, chat: GroupChat, o: GroupWrite): Promise<GroupSaveResult> {
  const rows = await tx.query<Record<string, unknown>>(
    `SELECT name, owner_user_id, notice, status, dismissed_at, last_event_at FROM customer_groups WHERE chat_id = ?${lock(tx)}`, [chat.chatId]);
  const row = rows[0];
  // A dismissal newer than this news wins; the group is gone.
  if (row && row.status === 'dismissed' && num(row.last_event_at) > o.at) return { outcome: 'stale', joined: 0, left: 0 };
  let outcome: GroupSaveResult['outcome'] = 'unchanged';
  if (!row) {
    await tx.exec(
      `INSERT INTO customer_groups (chat_id, name, owner_user_id, notice, status, created_at, member_version, last_event_at, synced_run, updated_at)
       VALUES (?,?,?,?,'active',?,?,?,?,?)`,
      [chat.chatId, chat.name, chat.ownerUserId, chat.notice, chat.createdAt, chat.memberVersion ?? null, o.at, o.runId ?? null, o.now]);
    outcome = 'created';
  } else {
    const changed = row.name !== chat.name || (row.owner_user_id ?? null) !== chat.ownerUserId || (row.notice ?? null) !== chat.notice
      || row.status !== 'active';
    await tx.exec(
      `UPDATE customer_groups SET name = ?, owner_user_id = ?, notice = ?, status = 'active', dismissed_at = NULL, created_at = COALESCE(?, created_at),
         member_version = COALESCE(?, member_version), last_event_at = ?, synced_run = COALESCE(?, synced_run), updated_at = ?
       WHERE chat_id = ?`,
      [chat.name, chat.ownerUserId, chat.notice, chat.createdAt, chat.memberVersion ?? null, Math.max(o.at, num(row.last_event_at)),
        o.runId ?? null, o.now, chat.chatId]);
    if (changed) outcome = 'updated';
  }
  const { joined, left } = await syncMembers(tx, chat, o);
  if (outcome === 'unchanged' && joined + left > 0) outcome = 'updated';
  return { outcome, joined, left };
}

async function syncMembers(tx: Sql, chat: GroupChat, o: GroupWrite): Promise<{ joined: number; left: number }> {
  const rows = await tx.query<{ member_id: string; member_type: unknown; left_at: unknown; name: string | null; group_nickname: string | null }>(
    'SELECT member_id, member_type, left_at, name, group_nickname FROM customer_group_members WHERE chat_id = ?', [chat.chatId]);
  const have = new Map(rows.map((r) => [r.member_id, r]));
  const truth = new Set(chat.members.map((m) => m.memberId));
  const changes: CustomerChange[] = [];
  const hinted = new Set(o.hint?.memChangeList ?? []);
  let joined = 0;
  for (const m of chat.members) {
    const r = have.get(m.memberId);
    if (r && numOrNull(r.left_at) === null) {
      if ((r.name ?? null) !== (m.name ?? null) || (r.group_nickname ?? null) !== (m.groupNickname ?? null)) {
        await tx.exec('UPDATE customer_group_members SET name = ?, group_nickname = ?, updated_at = ? WHERE chat_id = ? AND member_id = ?',
          [m.name ?? null, m.groupNickname ?? null, o.now, chat.chatId, m.memberId]);
      }
      continue;
    }
    joined++;
    const joinTime = m.joinTime ?? o.at;
    if (!r) {
      await tx.exec(
        `INSERT INTO customer_group_members (chat_id, member_id, member_type, unionid, name, group_nickname, join_time, join_scene, invitor, updated_at)
         VALUES (?,?,?,?,?,?,?,?,?,?)`,
        [chat.chatId, m.memberId, m.type, m.unionid ?? null, m.name ?? null, m.groupNickname ?? null, joinTime, m.joinScene ?? null, m.invitor ?? null, o.now]);
    } else {
      await tx.exec(
        `UPDATE customer_group_members SET member_type = ?, name = ?, group_nickname = ?, join_time = ?, join_scene = ?, invitor = ?,
           left_at = NULL, quit_scene = NULL, updated_at = ? WHERE chat_id = ? AND member_id = ?`,
        [m.type, m.name ?? null, m.groupNickname ?? null, joinTime, m.joinScene ?? null, m.invitor ?? null, o.now, chat.chatId, m.memberId]);
    }
    if (m.type === 2) {
      changes.push({ externalUserId: m.memberId, chatId: chat.chatId, kind: 'group_joined', at: joinTime, cause: `${o.cause}|${joinTime}`,
        detail: { groupName: chat.name, joinScene: m.joinScene ?? null } });
    }
  }
  let left = 0;
  for (const r of rows) {
    if (numOrNull(r.left_at) !== null || truth.has(r.member_id)) continue;
    left++;
    const byEvent = o.hint?.updateDetail === 'del_member' && hinted.has(r.member_id);
    const quitScene = byEvent ? (o.hint?.quitScene ?? null) : null;
    await tx.exec('UPDATE customer_group_members SET left_at = ?, quit_scene = ?, updated_at = ? WHERE chat_id = ? AND member_id = ?',
      [o.at, quitScene, o.now, chat.chatId, r.member_id]);
    if (num(r.member_type) === 2) {
      changes.push({ externalUserId: r.member_id, chatId: chat.chatId, kind: 'group_left', at: o.at, cause: o.cause,
        detail: { groupName: chat.name, quitScene } });
    }
  }
  await recordChanges(tx, changes, o.now);
  return { joined, left };
}

/** The group was dismissed: everyone left at that moment. */
export async function dismissGroup(tx: Sql, chatId: string, o: GroupWrite): Promise<'dismissed' | 'unchanged' | 'stale'> {
  const rows = await tx.query<Record<string, unknown>>(`SELECT name, status, last_event_at FROM customer_groups WHERE chat_id = ?${lock(tx)}`, [chatId]);
  const row = rows[0];
  if (row && num(row.last_event_at) > o.at) return 'stale';
  if (row && row.status === 'dismissed') return 'unchanged';
  if (!row) {
    await tx.exec(`INSERT INTO customer_groups (chat_id, status, dismissed_at, last_event_at, updated_at) VALUES (?, 'dismissed', ?, ?, ?)`,
      [chatId, o.at, o.at, o.now]);
  } else {
    await tx.exec(`UPDATE customer_groups SET status = 'dismissed', dismissed_at = ?, last_event_at = ?, updated_at = ? WHERE chat_id = ?`,
      [o.at, o.at, o.now, chatId]);
  }
  const present = await tx.query<{ member_id: string; member_type: unknown }>(
    'SELECT member_id, member_type FROM customer_group_members WHERE chat_id = ? AND left_at IS NULL', [chatId]);
  await tx.exec('UPDATE customer_group_members SET left_at = ?, updated_at = ? WHERE chat_id = ? AND left_at IS NULL', [o.at, o.now, chatId]);
  await recordChanges(tx, present.filter((m) => num(m.member_type) === 2).map((m) => ({
    externalUserId: m.member_id, chatId, kind: 'group_left' as const, at: o.at, cause: o.cause,
    detail: { groupName: row ? String(row.name ?? '') : '', dismissed: true },
  })), o.now);
  return 'dismissed';
}

/** Groups the reconcile no longer finds were dismissed without us hearing of it. */
/**
 * Active groups the reconcile run did not see and that nothing has written since it started.
 * Both sides are Fencun's clock (`updated_at` is set on every write, changed or not): an event's
 * CreateTime is on WeCom's clock, and comparing it with the run's start would dismiss a group an
 * event created during the run whenever Fencun's clock runs ahead.
 */
export async function findGroupsNotSeen(db: Sql, runId: string, runStartedAt: number): Promise<string[]> {
  const rows = await db.query<{ chat_id: string }>(
    `SELECT chat_id FROM customer_groups WHERE status = 'active' AND (synced_run IS NULL OR synced_run <> ?) AND updated_at < ?`,
    [runId, runStartedAt]);
  return rows.map((r) => r.chat_id);
}

export async function markGroupSeen(db: Sql, chatId: string, runId: string): Promise<void> {
  await db.exec('UPDATE customer_groups SET synced_run = ? WHERE chat_id = ?', [runId, chatId]);
}

export interface CustomerGroupRow {
  chatId: string;
  name: string;
  ownerUserId: string | null;
  status: string;
  joinTime: number | null;
  leftAt: number | null;
}

/** The groups a customer is (or was) in, most recent join first. */
export async function findGroupsOfCustomer(db: Sql, externalUserId: string): Promise<CustomerGroupRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT g.chat_id, g.name, g.owner_user_id, g.status, m.join_time, m.left_at FROM customer_group_members m
     JOIN customer_groups g ON g.chat_id = m.chat_id WHERE m.member_id = ? ORDER BY m.join_time DESC`, [externalUserId]);
  return rows.map((r) => ({
    chatId: String(r.chat_id), name: String(r.name ?? ''), ownerUserId: (r.owner_user_id as string) ?? null, status: String(r.status),
    joinTime: numOrNull(r.join_time), leftAt: numOrNull(r.left_at),
  }));
}

export async function findGroup(db: Sql, chatId: string): Promise<{ chatId: string; name: string; ownerUserId: string | null; status: string; memberCount: number } | null> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT g.chat_id, g.name, g.owner_user_id, g.status,
       (SELECT COUNT(*) FROM customer_group_members m WHERE m.chat_id = g.chat_id AND m.left_at IS NULL) AS member_count
     FROM customer_groups g WHERE g.chat_id = ?`, [chatId]);
  const r = rows[0];
  return r ? { chatId: String(r.chat_id), name: String(r.name ?? ''), ownerUserId: (r.owner_user_id as string) ?? null, status: String(r.status), memberCount: num(r.member_count) } : null;
}

function lock(db: Sql): string {
  return db.dialect === 'mysql' ? ' FOR UPDATE' : '';
}
