import type { Sql } from '../db/database';
import { num, numOrNull, placeholders } from '../db/sql';
import { findFollowTags, replaceFollowTags, replaceRemarkMobiles } from './follow-details';
import { CustomerChange, recordChanges } from './history';
import type { ContactProfile, EndedBy, Follow, FollowInfo, FollowStatus } from './types';

/**
 * External contacts and the rep↔customer follow relation. Writes take a transaction (`tx`) and
 * are guarded by event time: each follow keeps `last_event_at`, and a status change older than
 * it is ignored, so an out-of-order delivery never overwrites newer state.
 */

export type SaveOutcome = 'created' | 'updated' | 'unchanged' | 'stale';

const FOLLOW_COLUMNS = `id, user_id, external_user_id, status, remark, description, remark_corp_name, remark_mobiles, add_way,
  state, oper_user_id, added_at, ended_at, ended_by, last_event_at`;

export async function upsertContact(tx: Sql, p: ContactProfile, now: number): Promise<SaveOutcome> {
  const rows = await tx.query<Record<string, unknown>>(
    `SELECT name, type, gender, unionid, corp_name, position, avatar FROM external_contacts WHERE external_user_id = ?${forUpdate(tx)}`,
    [p.externalUserId]);
  const next = {
    name: p.name, type: p.type, gender: p.gender, unionid: p.unionid ?? null, corp_name: p.corpName ?? null,
    position: p.position ?? null, avatar: p.avatar ?? null,
  };
  if (rows.length === 0) {
    await tx.exec(
      `INSERT INTO external_contacts (external_user_id, name, type, gender, unionid, corp_name, position, avatar, fetched_at, created_at, updated_at)
       VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      [p.externalUserId, next.name, next.type, next.gender, next.unionid, next.corp_name, next.position, next.avatar, now, now, now]);
    return 'created';
  }
  const cur = rows[0];
  const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) => String(cur[k] ?? '') !== String(next[k] ?? ''));
  await tx.exec(
    `UPDATE external_contacts SET name = ?, type = ?, gender = ?, unionid = ?, corp_name = ?, position = ?, avatar = ?, fetched_at = ?
     ${changed ? ', updated_at = ?' : ''} WHERE external_user_id = ?`,
    [next.name, next.type, next.gender, next.unionid, next.corp_name, next.position, next.avatar, now, ...(changed ? [now] : []), p.externalUserId]);
  return changed ? 'updated' : 'unchanged';
}

/** Makes sure a contact row exists (events can name a customer we have not fetched yet). */
export async function ensureContact(tx: Sql, externalUserId: string, now: number): Promise<void> {
  const rows = await tx.query('SELECT id FROM external_contacts WHERE external_user_id = ?', [externalUserId]);
  if (rows.length > 0) return;
  await tx.exec('INSERT INTO external_contacts (external_user_id, created_at, updated_at) VALUES (?,?,?)', [externalUserId, now, now]);
}

export async function markArchiveAgreed(tx: Sql, externalUserId: string, at: number, now: number): Promise<void> {
  await ensureContact(tx, externalUserId, now);
  await tx.exec('UPDATE external_contacts SET archive_agreed_at = ?, updated_at = ? WHERE external_user_id = ?', [at, now, externalUserId]);
}

export interface WriteOptions {
  /** When the change happened in WeCom (event CreateTime, or when the sync read the truth). */
  at: number;
  now: number;
  /** What caused the write (event or sync run); makes the history idempotent. */
  cause: string;
  /** Set by the reconcile: marks the relation as seen by this run. */
  runId?: string;
}

/**
 * The relation exists (add event, or the reconcile found it): creates it, or re-activates an ended
 * one, and applies the details. Ignored when a newer event already decided the relation.
 */
export async function activateFollow(tx: Sql, info: FollowInfo, status: 'active' | 'half', o: WriteOptions): Promise<SaveOutcome> {
  const row = await lockFollow(tx, info.userId, info.externalUserId);
  if (row && num(row.last_event_at) > o.at) return 'stale';
  await ensureContact(tx, info.externalUserId, o.now);
  const changes: CustomerChange[] = [];
  const addedAt = info.createdAt ?? o.at;
  const addedKind = status === 'half' ? 'follow_half_added' : 'follow_added';
  if (!row) {
    await tx.exec(
      `INSERT INTO follows (user_id, external_user_id, status, added_at, last_event_at, synced_run, created_at, updated_at)
       VALUES (?,?,?,?,?,?,?,?)`,
      [info.userId, info.externalUserId, status, addedAt, o.at, o.runId ?? null, o.now, o.now]);
    changes.push({ externalUserId: info.externalUserId, userId: info.userId, kind: addedKind, at: addedAt, cause: o.cause,
      detail: { state: info.state ?? null, addWay: info.addWay ?? null } });
    await applyDetails(tx, info, null, o, changes);
    await recordChanges(tx, changes, o.now);
    return 'created';
  }
  const wasEnded = row.status === 'ended';
  // A confirmed relation stays active when a late add_half arrives.
  const nextStatus: FollowStatus = row.status === 'active' && status === 'half' ? 'active' : status;
  await tx.exec(
    `UPDATE follows SET status = ?, ended_at = NULL, ended_by = NULL, last_event_at = ?, added_at = ?,
       synced_run = COALESCE(?, synced_run), updated_at = ? WHERE id = ?`,
    [nextStatus, o.at, wasEnded ? addedAt : (numOrNull(row.added_at) ?? addedAt), o.runId ?? null, o.now, row.id]);
  if (wasEnded || row.status !== nextStatus) {
    changes.push({ externalUserId: info.externalUserId, userId: info.userId, kind: nextStatus === 'half' ? 'follow_half_added' : 'follow_added',
      at: wasEnded ? addedAt : o.at, cause: o.cause, detail: { state: info.state ?? null, addWay: info.addWay ?? null, again: wasEnded } });
  }
  const detailsChanged = await applyDetails(tx, info, row, o, changes);
  await recordChanges(tx, changes, o.now);
  return wasEnded ? 'created' : detailsChanged || row.status !== nextStatus ? 'updated' : 'unchanged';
}

/**
 * New details for a live relation (edit event, sync confirmation). A missing relation is created
 * (its add event was lost); an ended one is left ended.
 */
export async function updateFollow(tx: Sql, info: FollowInfo, o: WriteOptions): Promise<SaveOutcome> {
  const row = await lockFollow(tx, info.userId, info.externalUserId);
  if (!row) return activateFollow(tx, info, 'active', o);
  if (row.status === 'ended') return num(row.last_event_at) > o.at ? 'stale' : 'unchanged';
  const changes: CustomerChange[] = [];
  const changed = await applyDetails(tx, info, row, o, changes);
  if (o.runId) await tx.exec('UPDATE follows SET synced_run = ? WHERE id = ?', [o.runId, row.id]);
  await recordChanges(tx, changes, o.now);
  return changed ? 'updated' : 'unchanged';
}

/**
 * The relation ended. Unknown relations are recorded as ended too (the add was lost, the loss is
 * still a fact). An end the reconcile inferred ('sync') is replaced by the event saying who ended
 * it, whatever its age.
 */
export async function endFollow(
  tx: Sql, userId: string, externalUserId: string, endedBy: EndedBy, o: WriteOptions & { detail?: Record<string, unknown> },
): Promise<'ended' | 'unchanged' | 'stale'> {
  const row = await lockFollow(tx, userId, externalUserId);
  const inferred = row !== null && row.status === 'ended' && row.ended_by === 'sync' && (numOrNull(row.added_at) ?? 0) <= o.at;
  if (inferred) {
    // The reconcile saw the relation gone but not why; the (late) event says who ended it and when.
    await tx.exec(`DELETE FROM customer_changes WHERE kind = 'follow_ended' AND user_id = ? AND external_user_id = ? AND at = ?`,
      [userId, externalUserId, num(row.ended_at)]);
    await tx.exec('UPDATE follows SET ended_at = ?, ended_by = ?, last_event_at = ?, updated_at = ? WHERE id = ?',
      [o.at, endedBy, Math.max(o.at, num(row.last_event_at)), o.now, row.id]);
    await recordChanges(tx, [{ externalUserId, userId, kind: 'follow_ended', at: o.at, cause: o.cause, detail: { endedBy, ...o.detail } }], o.now);
    return 'ended';
  }
  if (row && num(row.last_event_at) > o.at) return 'stale';
  // The same end seen again (a retry) changes nothing; a newer end (after a re-add we have not
  // heard of yet) moves the end forward, so the late add stays older than it.
  if (row && row.status === 'ended' && num(row.last_event_at) === o.at && row.ended_by === endedBy) return 'unchanged';
  await ensureContact(tx, externalUserId, o.now);
  if (!row) {
    await tx.exec(
      `INSERT INTO follows (user_id, external_user_id, status, ended_at, ended_by, last_event_at, created_at, updated_at)
       VALUES (?,?,'ended',?,?,?,?,?)`, [userId, externalUserId, o.at, endedBy, o.at, o.now, o.now]);
  } else {
    await tx.exec(`UPDATE follows SET status = 'ended', ended_at = ?, ended_by = ?, last_event_at = ?, updated_at = ? WHERE id = ?`,
      [o.at, endedBy, o.at, o.now, row.id]);
  }
  await recordChanges(tx, [{ externalUserId, userId, kind: 'follow_ended', at: o.at, cause: o.cause, detail: { endedBy, ...o.detail } }], o.now);
  return 'ended';
}

async function applyDetails(tx: Sql, info: FollowInfo, row: Record<string, unknown> | null, o: WriteOptions, changes: CustomerChange[]): Promise<boolean> {
  const fields: [string, unknown][] = [];
  const put = (column: string, value: unknown) => {
    if (value === undefined) return;
    const cur = row ? row[column] : null;
    if (String(cur ?? '') !== String(value ?? '')) fields.push([column, value]);
  };
  put('remark', info.remark);
  put('description', info.description);
  put('remark_corp_name', info.remarkCorpName);
  put('remark_mobiles', info.remarkMobiles === undefined ? undefined : info.remarkMobiles.length ? JSON.stringify(info.remarkMobiles) : null);
  put('add_way', info.addWay);
  put('state', info.state);
  put('oper_user_id', info.operUserId);
  if (fields.length > 0) {
    await tx.exec(`UPDATE follows SET ${fields.map(([c]) => `${c} = ?`).join(', ')}, updated_at = ? WHERE user_id = ? AND external_user_id = ?`,
      [...fields.map(([, v]) => v), o.now, info.userId, info.externalUserId]);
    const edited = fields.filter(([c]) => ['remark', 'description', 'remark_corp_name'].includes(c));
    if (row && edited.length > 0) {
      changes.push({ externalUserId: info.externalUserId, userId: info.userId, kind: 'follow_edited', at: o.at, cause: o.cause,
        detail: Object.fromEntries(edited.map(([c, v]) => [camel(c), v])) });
    }
  }
  if (info.remarkMobiles !== undefined && fields.some(([c]) => c === 'remark_mobiles')) {
    await replaceRemarkMobiles(tx, info.userId, info.externalUserId, info.remarkMobiles);
  }
  let tagChanges: CustomerChange[] = [];
  if (info.tags !== null) {
    tagChanges = await replaceFollowTags(tx, info.userId, info.externalUserId, info.tags,
      { onlyCorpTags: info.onlyCorpTags, at: o.at, now: o.now, cause: o.cause });
    changes.push(...tagChanges);
  }
  return fields.length > 0 || tagChanges.length > 0;
}

async function lockFollow(tx: Sql, userId: string, externalUserId: string): Promise<Record<string, unknown> | null> {
  const rows = await tx.query<Record<string, unknown>>(
    `SELECT ${FOLLOW_COLUMNS} FROM follows WHERE user_id = ? AND external_user_id = ?${forUpdate(tx)}`, [userId, externalUserId]);
  return rows[0] ?? null;
}

function forUpdate(db: Sql): string {
  return db.dialect === 'mysql' ? ' FOR UPDATE' : '';
}

function camel(column: string): string {
  return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

// ---- reads ----

export async function findFollow(db: Sql, userId: string, externalUserId: string): Promise<Follow | null> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${FOLLOW_COLUMNS} FROM follows WHERE user_id = ? AND external_user_id = ?`,
    [userId, externalUserId]);
  if (rows.length === 0) return null;
  return { ...toFollow(rows[0]), tags: await findFollowTags(db, userId, externalUserId) };
}

/** Every rep's relation with one customer (the sidebar's "who else knows them"). */
export async function findFollowsOfCustomer(db: Sql, externalUserId: string): Promise<Follow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${FOLLOW_COLUMNS} FROM follows WHERE external_user_id = ? ORDER BY added_at`, [externalUserId]);
  return withTags(db, rows.map(toFollow));
}

/** A rep's customers (live relations by default), newest first. */
export async function findFollowsOfRep(db: Sql, userId: string, o: { includeEnded?: boolean; limit?: number } = {}): Promise<Follow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${FOLLOW_COLUMNS} FROM follows WHERE user_id = ?${o.includeEnded ? '' : ` AND status <> 'ended'`}
     ORDER BY added_at DESC LIMIT ?`, [userId, o.limit ?? 100_000]);
  return withTags(db, rows.map(toFollow));
}

export async function findContact(db: Sql, externalUserId: string): Promise<(ContactProfile & { archiveAgreedAt: number | null }) | null> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT external_user_id, name, type, gender, unionid, corp_name, position, avatar, archive_agreed_at FROM external_contacts WHERE external_user_id = ?',
    [externalUserId]);
  const r = rows[0];
  if (!r) return null;
  return {
    externalUserId: String(r.external_user_id), name: String(r.name ?? ''), type: num(r.type), gender: num(r.gender),
    unionid: (r.unionid as string) ?? null, corpName: (r.corp_name as string) ?? null, position: (r.position as string) ?? null,
    avatar: (r.avatar as string) ?? null, archiveAgreedAt: numOrNull(r.archive_agreed_at),
  };
}

async function withTags(db: Sql, follows: Omit<Follow, 'tags'>[]): Promise<Follow[]> {
  if (follows.length === 0) return [];
  const byPair = new Map(follows.map((f) => [`${f.userId}\n${f.externalUserId}`, { ...f, tags: [] } as Follow]));
  const ids = [...new Set(follows.map((f) => f.externalUserId))];
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    const rows = await db.query<{ user_id: string; external_user_id: string; tag_id: string; tag_type: unknown; tag_name: string | null }>(
      `SELECT user_id, external_user_id, tag_id, tag_type, tag_name FROM follow_tags WHERE external_user_id IN (${placeholders(part.length)}) ORDER BY tag_id`,
      part);
    for (const r of rows) byPair.get(`${r.user_id}\n${r.external_user_id}`)?.tags.push({ tagId: r.tag_id, type: num(r.tag_type), name: r.tag_name });
  }
  return [...byPair.values()];
}

function toFollow(r: Record<string, unknown>): Omit<Follow, 'tags'> {
  return {
    id: num(r.id), userId: String(r.user_id), externalUserId: String(r.external_user_id), status: r.status as FollowStatus,
    remark: (r.remark as string) ?? null, description: (r.description as string) ?? null, remarkCorpName: (r.remark_corp_name as string) ?? null,
    remarkMobiles: r.remark_mobiles ? (JSON.parse(String(r.remark_mobiles)) as string[]) : [],
    addWay: numOrNull(r.add_way), state: (r.state as string) ?? null, operUserId: (r.oper_user_id as string) ?? null,
    addedAt: numOrNull(r.added_at), endedAt: numOrNull(r.ended_at), endedBy: (r.ended_by as EndedBy) ?? null, lastEventAt: num(r.last_event_at),
  };
}
