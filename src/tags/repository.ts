import type { Sql } from '../db/database';
import { chunks, num, numOrNull, placeholders, upsertRows } from '../db/sql';
import type { TagGroup } from './types';

export interface TagLibraryChanges {
  created: number;
  updated: number;
  deleted: number;
}

/**
 * Makes the stored library equal WeCom's (a full get_corp_tag_list). Groups and tags that are gone
 * are marked deleted, and deleted corp tags are taken off customers, as WeCom does.
 */
export async function replaceTagLibrary(tx: Sql, groups: TagGroup[], now: number): Promise<TagLibraryChanges> {
  const before = await tx.query<{ tag_id: string; group_id: string; name: string; sort_order: unknown; deleted: unknown }>(
    'SELECT tag_id, group_id, name, sort_order, deleted FROM corp_tags');
  const old = new Map(before.map((r) => [r.tag_id, r]));
  const tags = groups.flatMap((g) => g.tags.map((t) => ({ ...t, groupId: g.groupId })));
  let created = 0;
  let updated = 0;
  for (const t of tags) {
    const o = old.get(t.tagId);
    if (!o || num(o.deleted) === 1) created++;
    else if (o.name !== t.name || o.group_id !== t.groupId || num(o.sort_order) !== t.order) updated++;
  }
  await upsertRows(tx, 'tag_groups', ['group_id', 'name', 'sort_order', 'strategy_id', 'created_at', 'deleted', 'updated_at'],
    groups.map((g) => [g.groupId, g.name, g.order, g.strategyId ?? null, g.createdAt, 0, now]),
    ['group_id'], ['name', 'sort_order', 'strategy_id', 'created_at', 'deleted', 'updated_at']);
  for (const part of chunks(tags, 200)) {
    await upsertRows(tx, 'corp_tags', ['tag_id', 'group_id', 'name', 'sort_order', 'created_at', 'deleted', 'updated_at'],
      part.map((t) => [t.tagId, t.groupId, t.name, t.order, t.createdAt, 0, now]),
      ['tag_id'], ['group_id', 'name', 'sort_order', 'created_at', 'deleted', 'updated_at']);
  }
  const liveTags = new Set(tags.map((t) => t.tagId));
  const gone = before.filter((r) => num(r.deleted) === 0 && !liveTags.has(r.tag_id)).map((r) => r.tag_id);
  for (const part of chunks(gone, 200)) {
    await tx.exec(`UPDATE corp_tags SET deleted = 1, updated_at = ? WHERE tag_id IN (${placeholders(part.length)})`, [now, ...part]);
    await tx.exec(`DELETE FROM follow_tags WHERE tag_type = 1 AND tag_id IN (${placeholders(part.length)})`, part);
  }
  const liveGroups = groups.map((g) => g.groupId);
  await tx.exec(
    `UPDATE tag_groups SET deleted = 1, updated_at = ? WHERE deleted = 0${liveGroups.length ? ` AND group_id NOT IN (${placeholders(liveGroups.length)})` : ''}`,
    [now, ...liveGroups]);
  // Names on customers' tags follow renames.
  await tx.exec(`UPDATE follow_tags SET tag_name = (SELECT name FROM corp_tags WHERE corp_tags.tag_id = follow_tags.tag_id)
    WHERE tag_type = 1 AND tag_id IN (SELECT tag_id FROM corp_tags WHERE deleted = 0)`);
  return { created, updated, deleted: gone.length };
}

export interface CorpTagRow {
  tagId: string;
  name: string;
  groupId: string;
  groupName: string;
  order: number;
  createdAt: number | null;
}

/** The live tag library, by group order then tag order. */
export async function findCorpTags(db: Sql): Promise<CorpTagRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT t.tag_id, t.name, t.group_id, g.name AS group_name, t.sort_order, t.created_at
     FROM corp_tags t LEFT JOIN tag_groups g ON g.group_id = t.group_id
     WHERE t.deleted = 0 ORDER BY g.sort_order, t.group_id, t.sort_order, t.tag_id`);
  return rows.map((r) => ({
    tagId: String(r.tag_id), name: String(r.name), groupId: String(r.group_id), groupName: String(r.group_name ?? ''),
    order: num(r.sort_order), createdAt: numOrNull(r.created_at),
  }));
}

/** Names of corp tags by id, deleted ones too (history still names a tag removed from the library since). */
export async function findTagNames(db: Sql, tagIds: string[]): Promise<Map<string, string>> {
  if (tagIds.length === 0) return new Map();
  const rows = await db.query<{ tag_id: string; name: string | null }>(
    `SELECT tag_id, name FROM corp_tags WHERE tag_id IN (${placeholders(tagIds.length)})`, tagIds);
  return new Map(rows.filter((r) => r.name).map((r) => [r.tag_id, String(r.name)]));
}

/** Tags on a customer from any live relation (ids and names, for tiers and the sidebar). */
export async function findTagsOfCustomer(db: Sql, externalUserId: string): Promise<{ tagId: string; name: string | null; type: number }[]> {
  const rows = await db.query<{ tag_id: string; tag_name: string | null; tag_type: unknown }>(
    `SELECT DISTINCT ft.tag_id, ft.tag_name, ft.tag_type FROM follow_tags ft
     JOIN follows f ON f.user_id = ft.user_id AND f.external_user_id = ft.external_user_id
     WHERE ft.external_user_id = ? AND f.status <> 'ended' ORDER BY ft.tag_id`, [externalUserId]);
  return rows.map((r) => ({ tagId: r.tag_id, name: r.tag_name, type: num(r.tag_type) }));
}
