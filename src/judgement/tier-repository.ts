import type { Sql, Tx } from '../db/database';
import type { LifecycleSignal } from '../lifecycle';
import { chunks, insertIgnoringDuplicates, num, numOrNull, placeholders, upsertRows } from '../db/sql';
import type { TierResult } from '../tiers';
import type { TierOverride } from '../tiers/types';

/**
 * Stored tiers: the SQL behind tier recomputation — customer_tiers (one row per customer, with a
 * version for compare-and-set), tier_history (one row per tier change), tier_overrides, the stored
 * lifecycle stages churn-risk lists read, the customer list the nightly run pages through, and which customers' tier inputs changed for tiers-refresh. The
 * service and jobs decide; this file only reads and writes, named for what each statement is for.
 */

/** A customer's stored tier as the compare-and-set reads it (before loading inputs). */
export interface StoredTierRow {
  externalUserId: string;
  tier: string;
  score: number;
  reasons: TierResult['reasons'];
  override: TierOverride | null;
  version: number;
  computedAt: number;
}

/** One customer's new tier row; JSON columns are serialised here. */
export interface TierWrite {
  externalUserId: string;
  tier: string;
  scoredTier: string;
  score: number;
  reasons: TierResult['reasons'];
  override: TierResult['override'];
  stage: string;
  stageSignals: LifecycleSignal[];
  computedAt: number;
  version: number;
}

/** One tier change for tier_history. */
export interface TierHistoryRow {
  externalUserId: string;
  from: string | null;
  to: string;
  score: number;
  reasons: unknown;
  cause: string;
  at: number;
}

function reviveOverride(o: TierOverride & { setAt: string; expiresAt?: string | null }): TierOverride {
  return { ...o, setAt: new Date(o.setAt), expiresAt: o.expiresAt ? new Date(o.expiresAt) : null };
}

export async function countCustomers(db: Sql): Promise<number> {
  const [{ n }] = await db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM external_contacts');
  return num(n);
}

/** The next page of customers in id order, after `afterId` (keyset paging for the nightly run). */
export async function findCustomerPage(db: Sql, afterId: number, limit: number): Promise<{ id: number; externalUserId: string }[]> {
  const rows = await db.query<{ id: unknown; external_user_id: string }>(
    'SELECT id, external_user_id FROM external_contacts WHERE id > ? ORDER BY id LIMIT ?', [afterId, limit]);
  return rows.map((r) => ({ id: num(r.id), externalUserId: r.external_user_id }));
}

/** Stored tiers of these customers (absent: never computed). */
export async function findStoredTiers(db: Sql, ids: string[]): Promise<StoredTierRow[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<{
    external_user_id: string; tier: string; score: unknown; reasons: string; override: string | null; version: unknown; computed_at: unknown;
  }>(
    `SELECT external_user_id, tier, score, reasons, override, version, computed_at FROM customer_tiers
     WHERE external_user_id IN (${placeholders(ids.length)})`, ids);
  return rows.map((r) => ({
    externalUserId: r.external_user_id, tier: r.tier, score: num(r.score), reasons: JSON.parse(r.reasons),
    override: r.override ? reviveOverride(JSON.parse(r.override)) : null, version: num(r.version), computedAt: num(r.computed_at),
  }));
}

/** The stored tier id of each of these customers (absent: never computed). */
export async function findTiersOf(db: Sql, ids: string[]): Promise<Map<string, string>> {
  const rows = await db.query<{ external_user_id: string; tier: string }>(
    `SELECT external_user_id, tier FROM customer_tiers WHERE external_user_id IN (${placeholders(ids.length)})`, ids);
  return new Map(rows.map((r) => [r.external_user_id, r.tier]));
}

/** Every customer's stored tier id (the campaign-sized read: one narrow scan, no IN list). */
export async function scanAllTiers(db: Sql): Promise<Map<string, string>> {
  const rows = await db.query<{ external_user_id: string; tier: string }>('SELECT external_user_id, tier FROM customer_tiers');
  const tiers = new Map<string, string>();
  for (const r of rows) tiers.set(r.external_user_id, r.tier);
  return tiers;
}

/** Manual tier overrides of these customers (expired ones too: the tier rules decide). */
export async function findTierOverrides(db: Sql, ids: string[]): Promise<Map<string, TierOverride>> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT external_user_id, tier, reason, author, set_at, expires_at FROM tier_overrides WHERE external_user_id IN (${placeholders(ids.length)})`, ids);
  return new Map(rows.map((r) => [String(r.external_user_id), {
    tier: String(r.tier), reason: String(r.reason), author: String(r.author), setAt: new Date(num(r.set_at)),
    expiresAt: numOrNull(r.expires_at) === null ? null : new Date(num(r.expires_at)),
  }]));
}

/** A customer at risk or dormant, once per rep who still actively follows them. */
export interface ChurnCandidate {
  externalUserId: string;
  repId: string;
  tier: string;
  stage: string;
  stageSignals: LifecycleSignal[];
  /** Sum of order amounts paid at or after `paidSince`. */
  value: number;
}

/** Stored at_risk / dormant customers with their live reps (optionally only these reps). */
export async function findChurnCandidates(db: Sql, o: { paidSince: number; repIds?: string[] }): Promise<ChurnCandidate[]> {
  const repFilter = o.repIds?.length ? ` AND f.user_id IN (${placeholders(o.repIds.length)})` : '';
  const rows = await db.query<{ external_user_id: string; user_id: string; tier: string; stage: string; stage_signals: string; value: unknown }>(
    `SELECT t.external_user_id, f.user_id, t.tier, t.stage, t.stage_signals,
       (SELECT COALESCE(SUM(o.amount), 0) FROM orders o WHERE o.external_user_id = t.external_user_id AND o.paid_at >= ?) AS value
     FROM customer_tiers t JOIN follows f ON f.external_user_id = t.external_user_id AND f.status = 'active'
     WHERE t.stage IN ('at_risk', 'dormant')${repFilter}`,
    [o.paidSince, ...(o.repIds ?? [])]);
  return rows.map((r) => ({
    externalUserId: r.external_user_id, repId: r.user_id, tier: r.tier, stage: r.stage,
    stageSignals: JSON.parse(r.stage_signals), value: num(r.value),
  }));
}

/**
 * The stored versions, locked until the transaction ends: FOR UPDATE on MySQL (absent keys get
 * a gap lock, so a concurrent first insert waits or deadlocks and is retried); on SQLite the
 * transaction already holds the database's write lock (BEGIN IMMEDIATE).
 */
export async function lockTierVersions(tx: Tx, ids: string[]): Promise<Map<string, { version: number; computedAt: number }>> {
  const rows = await tx.query<{ external_user_id: string; version: unknown; computed_at: unknown }>(
    `SELECT external_user_id, version, computed_at FROM customer_tiers WHERE external_user_id IN (${placeholders(ids.length)})
     ORDER BY external_user_id${tx.dialect === 'mysql' ? ' FOR UPDATE' : ''}`, ids);
  return new Map(rows.map((r) => [r.external_user_id, { version: num(r.version), computedAt: num(r.computed_at) }]));
}

/** Writes (inserts or overwrites) customers' tier rows. */
export async function saveTiers(tx: Sql, tiers: TierWrite[]): Promise<void> {
  await upsertRows(tx, 'customer_tiers',
    ['external_user_id', 'tier', 'scored_tier', 'score', 'reasons', 'override', 'stage', 'stage_signals', 'computed_at', 'version'],
    tiers.map((t) => [t.externalUserId, t.tier, t.scoredTier, t.score, JSON.stringify(t.reasons),
      t.override ? JSON.stringify(t.override) : null, t.stage, JSON.stringify(t.stageSignals), t.computedAt, t.version]),
    ['external_user_id'], ['tier', 'scored_tier', 'score', 'reasons', 'override', 'stage', 'stage_signals', 'computed_at', 'version']);
}

/** Appends tier changes to tier_history (in statements of 200 rows). */
export async function appendTierHistory(tx: Sql, changes: TierHistoryRow[]): Promise<void> {
  const rows = changes.map((c) => [c.externalUserId, c.from, c.to, c.score, JSON.stringify(c.reasons), c.cause, c.at]);
  for (const part of chunks(rows, 200)) {
    await insertIgnoringDuplicates(tx, 'tier_history',
      ['external_user_id', 'from_tier', 'to_tier', 'score', 'reasons', 'cause', 'at'], part, ['id']);
  }
}

/**
 * The tables whose rows feed a tier, each with the stamp the writer sets when it changes a row.
 * A stamp is the writer's clock at write time; on MySQL the row is seen only at commit.
 */
const CHANGE_STAMPS: [table: string, stamp: string][] = [
  ['orders', 'updated_at'], ['messages', 'created_at'], ['follows', 'updated_at'], ['touches', 'created_at'],
  ['complaints', 'updated_at'], ['tier_overrides', 'set_at'],
];

/** Per customer, how many tier-input rows were stamped in each window tiers-refresh compares. */
export interface TierInputChanges {
  externalUserId: string;
  /** Rows stamped after `freshAfter`. */
  fresh: number;
  /** Rows stamped at or before `freshAfter` (the previous run's margin, re-read). */
  oldTail: number;
  /** Rows stamped after `tailFrom` (this run's margin, for the next run to compare). */
  newTail: number;
}

/**
 * Customers with any row of orders, messages, follows, touches, complaints or tier_overrides
 * stamped in (since, until], counted per window (see tiersRefresh in jobs.ts for why).
 */
export async function countTierInputChanges(
  db: Sql, w: { since: number; until: number; freshAfter: number; tailFrom: number },
): Promise<TierInputChanges[]> {
  const parts = CHANGE_STAMPS.map(([table, stamp]) =>
    `SELECT external_user_id, ${stamp} AS stamp FROM ${table} WHERE ${stamp} > ? AND ${stamp} <= ? AND external_user_id IS NOT NULL`);
  const rows = await db.query<{ external_user_id: string; fresh: unknown; old_tail: unknown; new_tail: unknown }>(
    `SELECT external_user_id, SUM(CASE WHEN stamp > ? THEN 1 ELSE 0 END) AS fresh, SUM(CASE WHEN stamp <= ? THEN 1 ELSE 0 END) AS old_tail,
       SUM(CASE WHEN stamp > ? THEN 1 ELSE 0 END) AS new_tail
     FROM (${parts.join(' UNION ALL ')}) changed GROUP BY external_user_id`,
    [w.freshAfter, w.freshAfter, w.tailFrom, ...CHANGE_STAMPS.flatMap(() => [w.since, w.until])]);
  return rows.map((r) => ({ externalUserId: r.external_user_id, fresh: num(r.fresh), oldTail: num(r.old_tail), newTail: num(r.new_tail) }));
}
