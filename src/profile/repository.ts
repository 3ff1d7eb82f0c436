import type { Sql } from '../db/database';
import { insertIgnoringDuplicates, num, numOrNull, placeholders } from '../db/sql';

/**
 * What a rep keeps about a customer that WeCom has no field for (customer_profiles), the
 * customer's stored birthday (customer_attributes, the care rules' input), tier overrides
 * (tier_overrides, read by the judgement core) and who else follows the customer.
 */

export interface StoredProfile {
  salutation: string | null;
  region: string | null;
  salesStage: string | null;
  salesStageBy: string | null;
  salesStageAt: number | null;
  custom: Record<string, string | number>;
  updatedBy: string | null;
  updatedAt: number | null;
}

const EMPTY: StoredProfile = {
  salutation: null, region: null, salesStage: null, salesStageBy: null, salesStageAt: null, custom: {}, updatedBy: null, updatedAt: null,
};

export async function findProfile(db: Sql, externalUserId: string): Promise<StoredProfile> {
  const [r] = await db.query<Record<string, unknown>>(
    `SELECT salutation, region, sales_stage, sales_stage_by, sales_stage_at, custom_fields, updated_by, updated_at
     FROM customer_profiles WHERE external_user_id = ?`, [externalUserId]);
  if (!r) return { ...EMPTY, custom: {} };
  let custom: Record<string, string | number> = {};
  try {
    const parsed = r.custom_fields ? JSON.parse(String(r.custom_fields)) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) custom = parsed;
  } catch {
    // A hand-edited row that is not JSON reads as no custom fields rather than breaking the page.
  }
  return {
    salutation: (r.salutation as string) ?? null, region: (r.region as string) ?? null,
    salesStage: (r.sales_stage as string) ?? null, salesStageBy: (r.sales_stage_by as string) ?? null, salesStageAt: numOrNull(r.sales_stage_at),
    custom, updatedBy: (r.updated_by as string) ?? null, updatedAt: numOrNull(r.updated_at),
  };
}

export interface ProfilePatch {
  salutation?: string | null;
  region?: string | null;
  /** Replaces the whole object (the service merges with what is stored). */
  custom?: Record<string, string | number>;
  salesStage?: { id: string | null; by: string };
}

/** Creates the row if needed and applies the fields that are set; others keep their value. */
export async function saveProfile(tx: Sql, externalUserId: string, patch: ProfilePatch, by: string, now: number): Promise<void> {
  await insertIgnoringDuplicates(tx, 'customer_profiles', ['external_user_id', 'updated_by', 'created_at', 'updated_at'],
    [[externalUserId, by, now, now]], ['external_user_id']);
  const sets: string[] = ['updated_by = ?', 'updated_at = ?'];
  const values: unknown[] = [by, now];
  if (patch.salutation !== undefined) (sets.push('salutation = ?'), values.push(patch.salutation));
  if (patch.region !== undefined) (sets.push('region = ?'), values.push(patch.region));
  if (patch.custom !== undefined) (sets.push('custom_fields = ?'), values.push(JSON.stringify(patch.custom)));
  if (patch.salesStage !== undefined) {
    sets.push('sales_stage = ?', 'sales_stage_by = ?', 'sales_stage_at = ?');
    values.push(patch.salesStage.id, patch.salesStage.id === null ? null : patch.salesStage.by, patch.salesStage.id === null ? null : now);
  }
  await tx.exec(`UPDATE customer_profiles SET ${sets.join(', ')} WHERE external_user_id = ?`, [...values, externalUserId]);
}

/** The stored birthday; year null when only month and day are known. */
export async function findBirthday(db: Sql, externalUserId: string): Promise<{ year: number | null; month: number; day: number } | null> {
  const [r] = await db.query<{ birthday_month: unknown; birthday_day: unknown; birthday_year: unknown }>(
    'SELECT birthday_month, birthday_day, birthday_year FROM customer_attributes WHERE external_user_id = ?', [externalUserId]);
  const month = numOrNull(r?.birthday_month);
  const day = numOrNull(r?.birthday_day);
  return month !== null && day !== null ? { year: numOrNull(r?.birthday_year), month, day } : null;
}

export interface OverrideRow {
  tier: string;
  reason: string;
  author: string;
  setAt: number;
}

/** One override per customer (uq_tier_overrides_ext): setting again replaces it. */
export async function setTierOverride(tx: Sql, externalUserId: string, o: OverrideRow): Promise<void> {
  const changed = await tx.exec('UPDATE tier_overrides SET tier = ?, reason = ?, author = ?, set_at = ?, expires_at = NULL WHERE external_user_id = ?',
    [o.tier, o.reason, o.author, o.setAt, externalUserId]);
  if (changed === 0) {
    await insertIgnoringDuplicates(tx, 'tier_overrides', ['external_user_id', 'tier', 'reason', 'author', 'set_at'],
      [[externalUserId, o.tier, o.reason, o.author, o.setAt]], ['external_user_id']);
  }
}

export async function clearTierOverride(tx: Sql, externalUserId: string): Promise<number> {
  return tx.exec('DELETE FROM tier_overrides WHERE external_user_id = ?', [externalUserId]);
}

export interface Colleague {
  userId: string;
  name: string;
  addedAt: number | null;
  /** The latest 1:1 message between this rep and the customer, either direction. */
  lastContactAt: number | null;
  lastDirection: 'in' | 'out' | null;
}

/**
 * The other reps with a live relation to the customer, with their latest 1:1 message with them
 * (one grouped statement over the messages index on external_user_id). Most recent contact first.
 */
export async function findColleagues(db: Sql, externalUserId: string, exceptUserId: string): Promise<Colleague[]> {
  const follows = await db.query<{ user_id: string; name: string | null; added_at: unknown }>(
    `SELECT f.user_id, m.name, f.added_at FROM follows f LEFT JOIN members m ON m.user_id = f.user_id
     WHERE f.external_user_id = ? AND f.status <> 'ended' AND f.user_id <> ?`, [externalUserId, exceptUserId]);
  if (follows.length === 0) return [];
  const ids = follows.map((f) => f.user_id);
  const last = await db.query<{ user_id: string; at: unknown }>(
    `SELECT user_id, MAX(msg_time) AS at FROM messages WHERE external_user_id = ? AND chat_id IS NULL
       AND user_id IN (${placeholders(ids.length)}) GROUP BY user_id`, [externalUserId, ...ids]);
  const lastAt = new Map(last.map((r) => [r.user_id, num(r.at)]));
  const withAt = [...lastAt.entries()];
  const dirs = withAt.length === 0 ? [] : await db.query<{ user_id: string; direction: string; msg_time: unknown }>(
    `SELECT user_id, direction, msg_time FROM messages WHERE external_user_id = ? AND chat_id IS NULL
       AND (${withAt.map(() => '(user_id = ? AND msg_time = ?)').join(' OR ')})`, [externalUserId, ...withAt.flat()]);
  const dirOf = new Map(dirs.map((d) => [d.user_id, d.direction === 'in' ? 'in' as const : 'out' as const]));
  return follows
    .map((f) => ({
      userId: f.user_id, name: f.name || f.user_id, addedAt: numOrNull(f.added_at),
      lastContactAt: lastAt.get(f.user_id) ?? null, lastDirection: dirOf.get(f.user_id) ?? null,
    }))
    .sort((a, b) => (b.lastContactAt ?? -1) - (a.lastContactAt ?? -1) || a.userId.localeCompare(b.userId));
}

/** Which of `ids` the reps in `scope` follow (group members a rep may open). */
export async function followedBy(db: Sql, ids: string[], scope: string[]): Promise<Set<string>> {
  if (ids.length === 0 || scope.length === 0) return new Set();
  const rows = await db.query<{ external_user_id: string }>(
    `SELECT DISTINCT external_user_id FROM follows WHERE external_user_id IN (${placeholders(ids.length)})
       AND user_id IN (${placeholders(scope.length)}) AND (ended_by IS NULL OR ended_by <> 'transfer')`, [...ids, ...scope]);
  return new Set(rows.map((r) => r.external_user_id));
}

/** Each customer's corp and personal tags as any of their reps set them (group members' chips). */
export async function tagNamesOf(db: Sql, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const rows = await db.query<{ external_user_id: string; tag_id: string; tag_name: string | null; lib_name: string | null }>(
    `SELECT DISTINCT ft.external_user_id, ft.tag_id, ft.tag_name, t.name AS lib_name FROM follow_tags ft
     JOIN follows f ON f.user_id = ft.user_id AND f.external_user_id = ft.external_user_id AND f.status <> 'ended'
     LEFT JOIN corp_tags t ON t.tag_id = ft.tag_id
     WHERE ft.external_user_id IN (${placeholders(ids.length)}) ORDER BY ft.external_user_id, ft.tag_id`, ids);
  for (const r of rows) {
    const name = r.lib_name || r.tag_name || r.tag_id.replace(/^personal:/, '');
    const list = out.get(r.external_user_id) ?? [];
    if (!list.includes(name)) list.push(name);
    out.set(r.external_user_id, list);
  }
  return out;
}
