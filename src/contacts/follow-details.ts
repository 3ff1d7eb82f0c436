import type { Sql } from '../db/database';
import { placeholders } from '../db/sql';
import type { CustomerChange } from './history';
import type { FollowTag } from './types';

/**
 * The parts of a follow kept in side tables: its tags (follow_tags) and remark mobiles
 * (contact_mobiles). Both are replaced as sets and report what changed.
 */

export async function findFollowTags(db: Sql, userId: string, externalUserId: string): Promise<FollowTag[]> {
  const rows = await db.query<{ tag_id: string; tag_type: unknown; tag_name: string | null }>(
    'SELECT tag_id, tag_type, tag_name FROM follow_tags WHERE user_id = ? AND external_user_id = ? ORDER BY tag_id',
    [userId, externalUserId]);
  return rows.map((r) => ({ tagId: r.tag_id, type: Number(r.tag_type), name: r.tag_name }));
}

/**
 * Makes the rep's tags on the customer equal `next` (only the corp/rule tags when `onlyCorpTags`,
 * leaving personal tags alone); returns the tag_added/tag_removed changes.
 */
export async function replaceFollowTags(
  tx: Sql,
  userId: string,
  externalUserId: string,
  next: FollowTag[],
  o: { onlyCorpTags?: boolean; at: number; now: number; cause: string },
): Promise<CustomerChange[]> {
  const { added, removed } = diffFollowTags(await findFollowTags(tx, userId, externalUserId), next, o.onlyCorpTags);
  if (removed.length > 0) {
    await tx.exec(`DELETE FROM follow_tags WHERE user_id = ? AND external_user_id = ? AND tag_id IN (${placeholders(removed.length)})`,
      [userId, externalUserId, ...removed.map((t) => t.tagId)]);
  }
  if (added.length > 0) {
    const names = await corpTagNames(tx, added.filter((t) => !t.name).map((t) => t.tagId));
    await tx.exec(
      `INSERT INTO follow_tags (user_id, external_user_id, tag_id, tag_type, tag_name, added_at) VALUES ${added.map(() => '(?,?,?,?,?,?)').join(',')}`,
      added.flatMap((t) => [userId, externalUserId, t.tagId, t.type, t.name ?? names.get(t.tagId) ?? null, o.at]));
  }
  return tagChanges(userId, externalUserId, added, removed, o);
}

/** Which tags make `current` equal `next` (only the corp/rule tags when `onlyCorpTags`). */
export function diffFollowTags(current: FollowTag[], next: FollowTag[], onlyCorpTags?: boolean): { added: FollowTag[]; removed: FollowTag[] } {
  const scope = onlyCorpTags ? current.filter((t) => t.type !== 2) : current;
  const wanted = new Map(next.map((t) => [t.tagId, t]));
  const have = new Map(scope.map((t) => [t.tagId, t]));
  return { removed: scope.filter((t) => !wanted.has(t.tagId)), added: [...wanted.values()].filter((t) => !have.has(t.tagId)) };
}

export function tagChanges(
  userId: string, externalUserId: string, added: FollowTag[], removed: FollowTag[], o: { at: number; cause: string },
): CustomerChange[] {
  const change = (kind: 'tag_added' | 'tag_removed', t: FollowTag): CustomerChange => ({
    externalUserId, userId, kind, at: o.at, cause: o.cause, detail: { tagId: t.tagId, tagName: t.name ?? null },
  });
  return [...added.map((t) => change('tag_added', t)), ...removed.map((t) => change('tag_removed', t))];
}

export async function corpTagNames(db: Sql, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<{ tag_id: string; name: string }>(
    `SELECT tag_id, name FROM corp_tags WHERE tag_id IN (${placeholders(ids.length)})`, ids);
  return new Map(rows.map((r) => [r.tag_id, r.name]));
}

/** Keeps contact_mobiles equal to the rep's remark mobiles for this customer. */
export async function replaceRemarkMobiles(tx: Sql, userId: string, externalUserId: string, mobiles: string[]): Promise<void> {
  await tx.exec('DELETE FROM contact_mobiles WHERE user_id = ? AND external_user_id = ?', [userId, externalUserId]);
  const clean = [...new Set(mobiles.map(normalizeMobile).filter((m) => m !== ''))];
  if (clean.length === 0) return;
  await tx.exec(`INSERT INTO contact_mobiles (mobile, external_user_id, user_id) VALUES ${clean.map(() => '(?,?,?)').join(',')}`,
    clean.flatMap((m) => [m, externalUserId, userId]));
}

/** Digits only, without a +86/86 country prefix, so "+86 138-0000-0001" matches "13800000001". */
export function normalizeMobile(raw: string): string {
  const digits = raw.replace(/\D/g, '');
  return digits.length === 13 && digits.startsWith('86') ? digits.slice(2) : digits;
}
