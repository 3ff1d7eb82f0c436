import type { Sql } from '../db/database';
import { chunks, insertIgnoringDuplicates, retryOnLockConflict } from '../db/sql';

/**
 * pressure_denials: one row per touch the contact-pressure gate prevented, kept so the digest can
 * count and explain "over-contact prevented". PressureService decides; this file only writes and
 * counts.
 */

/** One prevented touch, as stored. */
export interface DenialRow {
  externalUserId: string;
  category: string;
  reasons: string[];
  refKind: string;
  refId: string;
  /** What exactly was prevented (unique with ref kind and customer). */
  causeKey: string;
  at: number;
  nextAllowedAt: number | null;
}

/**
 * Inserts denials, skipping those already recorded for the same (ref kind, cause, customer): the
 * unique key uq_pressure_denials_cause keeps the first prevention's instant and reasons. Returns
 * how many were inserted now.
 */
export async function insertDenials(db: Sql, denials: DenialRow[]): Promise<number> {
  const rows = denials.map((d) => [d.externalUserId, d.category, d.reasons.join(','), d.refKind, d.refId, d.causeKey, d.at, d.nextAllowedAt]);
  let recorded = 0;
  for (const part of chunks(rows, 500)) {
    // A multi-row insert that MySQL picked as a deadlock victim was rolled back whole: retry it.
    recorded += await retryOnLockConflict(() => insertIgnoringDuplicates(db, 'pressure_denials',
      ['external_user_id', 'category', 'reasons', 'ref_kind', 'ref_id', 'cause_key', 'at', 'next_allowed_at'], part,
      ['ref_kind', 'cause_key', 'external_user_id']));
  }
  return recorded;
}

/** Denials recorded in [from, to), and how many customers they concern. */
export async function countDenialsBetween(db: Sql, from: number, to: number): Promise<{ total: number; customers: number }> {
  const [r] = await db.query<{ total: unknown; customers: unknown }>(
    'SELECT COUNT(*) AS total, COUNT(DISTINCT external_user_id) AS customers FROM pressure_denials WHERE at >= ? AND at < ?',
    [from, to]);
  return { total: Number(r.total), customers: Number(r.customers) };
}
