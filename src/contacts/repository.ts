import type { Sql } from '../db/database';
import { chunks, num, numOrNull, placeholders, upsertRows } from '../db/sql';
import {
  corpTagNames, diffFollowTags, findFollowTags, normalizeMobile, replaceFollowTags, replaceRemarkMobiles, tagChanges,
} from './follow-details';
import { CustomerChange, recordChanges } from './history';
import type { ContactProfile, EndedBy, Follow, FollowInfo, FollowStatus, FollowTag } from './types';

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
  /**
   * The time on WeCom's clock that orders this write against events (compared with and stored
   * as `last_event_at`, which holds CreateTimes); `at` when omitted. The reconcile passes a lower
   * bound of WeCom's time at its read (see wecomTimeLowerBound): `at` is then Fencun's clock,
   * which may run ahead of WeCom's and has milliseconds where CreateTime has whole seconds.
   */
  guardAt?: number;
}

const guardOf = (o: WriteOptions) => o.guardAt ?? o.at;

/**
 * The relation exists (add event, or the reconcile found it): creates it, or re-activates an ended
 * one, and applies the details. Ignored when a newer event already decided the relation.
 */
export async function activateFollow(tx: Sql, info: FollowInfo, status: 'active' | 'half', o: WriteOptions): Promise<SaveOutcome> {
  const row = await lockFollow(tx, info.userId, info.externalUserId);
  const guard = guardOf(o);
  if (row && num(row.last_event_at) > guard) return 'stale';
  await ensureContact(tx, info.externalUserId, o.now);
  const changes: CustomerChange[] = [];
  const addedAt = info.createdAt ?? o.at;
  const addedKind = status === 'half' ? 'follow_half_added' : 'follow_added';
  if (!row) {
    await tx.exec(
      `INSERT INTO follows (user_id, external_user_id, status, added_at, last_event_at, synced_run, created_at, updated_at)
       VALUES (?,?,?,?,?,?,?,?)`,
      [info.userId, info.externalUserId, status, addedAt, guard, o.runId ?? null, o.now, o.now]);
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
    [nextStatus, guard, wasEnded ? addedAt : (numOrNull(row.added_at) ?? addedAt), o.runId ?? null, o.now, row.id]);
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
  if (row.status === 'ended') return num(row.last_event_at) > guardOf(o) ? 'stale' : 'unchanged';
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
  const guard = guardOf(o);
  const inferred = row !== null && row.status === 'ended' && row.ended_by === 'sync' && (numOrNull(row.added_at) ?? 0) <= o.at;
  if (inferred) {
    // The reconcile saw the relation gone but not why; the (late) event says who ended it and when.
    await tx.exec(`DELETE FROM customer_changes WHERE kind = 'follow_ended' AND user_id = ? AND external_user_id = ? AND at = ?`,
      [userId, externalUserId, num(row.ended_at)]);
    await tx.exec('UPDATE follows SET ended_at = ?, ended_by = ?, last_event_at = ?, updated_at = ? WHERE id = ?',
      [o.at, endedBy, Math.max(guard, num(row.last_event_at)), o.now, row.id]);
    await recordChanges(tx, [{ externalUserId, userId, kind: 'follow_ended', at: o.at, cause: o.cause, detail: { endedBy, ...o.detail } }], o.now);
    return 'ended';
  }
  if (row && num(row.last_event_at) > guard) return 'stale';
  // The same end seen again (a retry) changes nothing; a newer end (after a re-add we have not
  // heard of yet) moves the end forward, so the late add stays older than it.
  if (row && row.status === 'ended' && num(row.last_event_at) === guard && row.ended_by === endedBy) return 'unchanged';
  await ensureContact(tx, externalUserId, o.now);
  if (!row) {
    await tx.exec(
      `INSERT INTO follows (user_id, external_user_id, status, ended_at, ended_by, last_event_at, created_at, updated_at)
       VALUES (?,?,'ended',?,?,?,?,?)`, [userId, externalUserId, o.at, endedBy, guard, o.now, o.now]);
  } else {
    await tx.exec(`UPDATE follows SET status = 'ended', ended_at = ?, ended_by = ?, last_event_at = ?, updated_at = ? WHERE id = ?`,
      [o.at, endedBy, guard, o.now, row.id]);
  }
  await recordChanges(tx, [{ externalUserId, userId, kind: 'follow_ended', at: o.at, cause: o.cause, detail: { endedBy, ...o.detail } }], o.now);
  return 'ended';
}

/**
 * The detail columns that differ between the stored row (null: none yet) and `info`, and the
 * follow_edited change they make (only for an existing relation).
 */
function diffDetails(info: FollowInfo, row: Record<string, unknown> | null, o: WriteOptions): { fields: [string, unknown][]; edit: CustomerChange | null } {
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
  const edited = fields.filter(([c]) => ['remark', 'description', 'remark_corp_name'].includes(c));
  const edit: CustomerChange | null = row && edited.length > 0
    ? { externalUserId: info.externalUserId, userId: info.userId, kind: 'follow_edited', at: o.at, cause: o.cause,
      detail: Object.fromEntries(edited.map(([c, v]) => [camel(c), v])) }
    : null;
  return { fields, edit };
}

async function applyDetails(tx: Sql, info: FollowInfo, row: Record<string, unknown> | null, o: WriteOptions, changes: CustomerChange[]): Promise<boolean> {
  const { fields, edit } = diffDetails(info, row, o);
  if (fields.length > 0) {
    await tx.exec(`UPDATE follows SET ${fields.map(([c]) => `${c} = ?`).join(', ')}, updated_at = ? WHERE user_id = ? AND external_user_id = ?`,
      [...fields.map(([, v]) => v), o.now, info.userId, info.externalUserId]);
    if (edit) changes.push(edit);
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

// ---- the reconcile's bulk path ----

export interface SyncedRelation {
  contact: ContactProfile;
  follow: FollowInfo;
}

export interface PageOutcome {
  newContacts: number;
  created: number;
  updated: number;
}

const CONTACT_FIELDS = ['name', 'type', 'gender', 'unionid', 'corp_name', 'position', 'avatar'] as const;
const FOLLOW_UPSERT = ['user_id', 'external_user_id', 'status', 'remark', 'description', 'remark_corp_name', 'remark_mobiles', 'add_way',
  'state', 'oper_user_id', 'added_at', 'ended_at', 'ended_by', 'last_event_at', 'synced_run', 'created_at', 'updated_at'];
/** Rows per multi-row statement: far below every driver's parameter limit. */
const ROWS_PER_STATEMENT = 200;

/**
 * One page of the reconcile (batch/get_by_user) in a handful of statements: what is stored for
 * the page is read at once (locked on MySQL), each relation is decided in memory by the same
 * rules as upsertContact, activateFollow (absent or ended relations) and updateFollow (live ones)
 * — created, re-activated, edited, or stale when an event newer than `guardAt` decided it — and
 * the result is written back as multi-row upserts. Per-row statements made the reconcile cost
 * fifty times its WeCom traffic.
 */
export async function syncRelationsPage(tx: Sql, items: SyncedRelation[], o: WriteOptions & { runId: string }): Promise<PageOutcome> {
  const out: PageOutcome = { newContacts: 0, created: 0, updated: 0 };
  if (items.length === 0) return out;
  const ids = [...new Set(items.map((i) => i.contact.externalUserId))];
  const lock = forUpdate(tx);
  const contacts = new Map((await tx.query<Record<string, unknown>>(
    `SELECT external_user_id, ${CONTACT_FIELDS.join(', ')}, created_at, updated_at FROM external_contacts
     WHERE external_user_id IN (${placeholders(ids.length)})${lock}`, ids)).map((r) => [String(r.external_user_id), r]));
  const follows = new Map((await tx.query<Record<string, unknown>>(
    `SELECT ${FOLLOW_COLUMNS}, synced_run, created_at, updated_at FROM follows WHERE external_user_id IN (${placeholders(ids.length)})${lock}`, ids))
    .map((r) => [pairKey(String(r.user_id), String(r.external_user_id)), r]));
  const tags = new Map<string, FollowTag[]>();
  for (const r of await tx.query<{ user_id: string; external_user_id: string; tag_id: string; tag_type: unknown; tag_name: string | null }>(
    `SELECT user_id, external_user_id, tag_id, tag_type, tag_name FROM follow_tags WHERE external_user_id IN (${placeholders(ids.length)})
     ORDER BY tag_id`, ids)) {
    const k = pairKey(r.user_id, r.external_user_id);
    tags.set(k, [...(tags.get(k) ?? []), { tagId: r.tag_id, type: num(r.tag_type), name: r.tag_name }]);
  }

  // Contacts: the profile as WeCom reports it; updated_at moves only when something changed.
  const contactRows = new Map<string, unknown[]>();
  for (const { contact: p } of items) {
    if (contactRows.has(p.externalUserId)) continue;
    const next = [p.name, p.type, p.gender, p.unionid ?? null, p.corpName ?? null, p.position ?? null, p.avatar ?? null];
    const cur = contacts.get(p.externalUserId);
    const changed = cur !== undefined && CONTACT_FIELDS.some((k, i) => String(cur[k] ?? '') !== String(next[i] ?? ''));
    if (!cur) out.newContacts++;
    contactRows.set(p.externalUserId,
      [p.externalUserId, ...next, o.now, cur ? num(cur.created_at) : o.now, !cur || changed ? o.now : num(cur.updated_at)]);
  }

  const guard = guardOf(o);
  const followRows: unknown[][] = [];
  const seenOnly: number[] = [];
  const tagRemovals: [string, string, string][] = [];
  const tagAdds: { userId: string; externalUserId: string; tag: FollowTag }[] = [];
  const mobiles: { userId: string; externalUserId: string; mobiles: string[]; fresh: boolean }[] = [];
  const changes: CustomerChange[] = [];
  for (const { follow: info } of items) {
    const key = pairKey(info.userId, info.externalUserId);
    const row = follows.get(key) ?? null;
    const activate = row === null || row.status === 'ended';
    if (activate && row && num(row.last_event_at) > guard) continue; // an event after our read decided it
    const { fields, edit } = diffDetails(info, row, o);
    const { added, removed } = info.tags === null ? { added: [], removed: [] } : diffFollowTags(tags.get(key) ?? [], info.tags, info.onlyCorpTags);
    const tagChanged = added.length + removed.length > 0;
    const addedAt = info.createdAt ?? o.at;
    if (activate) {
      changes.push({ externalUserId: info.externalUserId, userId: info.userId, kind: 'follow_added', at: addedAt, cause: o.cause,
        detail: row ? { state: info.state ?? null, addWay: info.addWay ?? null, again: true } : { state: info.state ?? null, addWay: info.addWay ?? null } });
      out.created++;
    } else if (fields.length > 0 || tagChanged) {
      out.updated++;
    }
    if (edit) changes.push(edit);
    changes.push(...tagChanges(info.userId, info.externalUserId, added, removed, o));
    for (const t of removed) tagRemovals.push([info.userId, info.externalUserId, t.tagId]);
    for (const t of added) tagAdds.push({ userId: info.userId, externalUserId: info.externalUserId, tag: t });
    if (info.remarkMobiles !== undefined && fields.some(([c]) => c === 'remark_mobiles')) {
      mobiles.push({ userId: info.userId, externalUserId: info.externalUserId, mobiles: info.remarkMobiles, fresh: row === null });
    }
    if (!activate && fields.length === 0) {
      if (row && row.synced_run !== o.runId) seenOnly.push(num(row.id));
      continue;
    }
    const value = (c: string) => {
      const f = fields.find(([k]) => k === c);
      return f ? f[1] : row ? row[c] ?? null : null;
    };
    followRows.push([
      info.userId, info.externalUserId, activate ? 'active' : row!.status, value('remark'), value('description'), value('remark_corp_name'),
      value('remark_mobiles'), value('add_way'), value('state'), value('oper_user_id'),
      activate ? addedAt : row!.added_at ?? null, activate ? null : row!.ended_at ?? null, activate ? null : row!.ended_by ?? null,
      activate ? guard : row!.last_event_at, o.runId, row ? row.created_at : o.now, o.now,
    ]);
  }

  for (const part of chunks([...contactRows.values()], ROWS_PER_STATEMENT)) {
    await upsertRows(tx, 'external_contacts',
      ['external_user_id', ...CONTACT_FIELDS, 'fetched_at', 'created_at', 'updated_at'], part, ['external_user_id'],
      [...CONTACT_FIELDS, 'fetched_at', 'updated_at']);
  }
  for (const part of chunks(followRows, ROWS_PER_STATEMENT)) {
    await upsertRows(tx, 'follows', FOLLOW_UPSERT, part, ['user_id', 'external_user_id'], FOLLOW_UPSERT.filter((c) => !['user_id', 'external_user_id', 'created_at'].includes(c)));
  }
  for (const part of chunks(seenOnly, 1000)) {
    await tx.exec(`UPDATE follows SET synced_run = ? WHERE id IN (${placeholders(part.length)})`, [o.runId, ...part]);
  }
  for (const part of chunks(tagRemovals, ROWS_PER_STATEMENT)) {
    await tx.exec(`DELETE FROM follow_tags WHERE ${part.map(() => '(user_id = ? AND external_user_id = ? AND tag_id = ?)').join(' OR ')}`, part.flat());
  }
  if (tagAdds.length > 0) {
    const names = await corpTagNames(tx, [...new Set(tagAdds.filter((a) => !a.tag.name).map((a) => a.tag.tagId))]);
    for (const part of chunks(tagAdds, ROWS_PER_STATEMENT)) {
      await tx.exec(`INSERT INTO follow_tags (user_id, external_user_id, tag_id, tag_type, tag_name, added_at) VALUES ${part.map(() => '(?,?,?,?,?,?)').join(',')}`,
        part.flatMap((a) => [a.userId, a.externalUserId, a.tag.tagId, a.tag.type, a.tag.name ?? names.get(a.tag.tagId) ?? null, o.at]));
    }
  }
  for (const part of chunks(mobiles, ROWS_PER_STATEMENT)) {
    // A relation seen for the first time has no mobiles stored yet: nothing to replace.
    const replaced = part.filter((m) => !m.fresh);
    if (replaced.length > 0) {
      await tx.exec(`DELETE FROM contact_mobiles WHERE ${replaced.map(() => '(user_id = ? AND external_user_id = ?)').join(' OR ')}`,
        replaced.flatMap((m) => [m.userId, m.externalUserId]));
    }
    const rows = part.flatMap((m) => [...new Set(m.mobiles.map(normalizeMobile).filter((x) => x !== ''))].map((x) => [x, m.externalUserId, m.userId]));
    if (rows.length > 0) {
      await tx.exec(`INSERT INTO contact_mobiles (mobile, external_user_id, user_id) VALUES ${rows.map(() => '(?,?,?)').join(',')}`, rows.flat());
    }
  }
  for (const part of chunks(changes, ROWS_PER_STATEMENT)) await recordChanges(tx, part, o.now);
  return out;
}

function pairKey(userId: string, externalUserId: string): string {
  return `${userId}\n${externalUserId}`;
}

/**
 * A lower bound of WeCom's clock now, from WeCom's own timestamps already stored: the newest
 * CreateTime of any callback received (every one happened before we got it) and the newest
 * event time on a relation. Each event that happens after this call has a CreateTime at or
 * above it (ties go to the event). 0 when nothing is known yet.
 */
export async function wecomTimeLowerBound(db: Sql): Promise<number> {
  const [inbox] = await db.query<{ t: unknown }>('SELECT MAX(event_time) AS t FROM inbox_events');
  const [follows] = await db.query<{ t: unknown }>('SELECT MAX(last_event_at) AS t FROM follows');
  return Math.max(numOrNull(inbox?.t) ?? 0, numOrNull(follows?.t) ?? 0);
}

/**
 * Live relations of these reps that the reconcile run did not see and that nothing has written
 * since the run started (Fencun's clock on both sides): an event since then decides them.
 */
export async function findUnseenFollows(db: Sql, userIds: string[], runId: string, runStartedAt: number): Promise<{ userId: string; externalUserId: string }[]> {
  const rows = await db.query<{ user_id: string; external_user_id: string }>(
    `SELECT user_id, external_user_id FROM follows WHERE user_id IN (${placeholders(userIds.length)}) AND status <> 'ended'
     AND (synced_run IS NULL OR synced_run <> ?) AND updated_at < ?`, [...userIds, runId, runStartedAt]);
  return rows.map((r) => ({ userId: r.user_id, externalUserId: r.external_user_id }));
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
