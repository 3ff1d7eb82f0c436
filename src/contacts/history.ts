import { createHash } from 'node:crypto';
import type { Sql } from '../db/database';
import { insertIgnoringDuplicates } from '../db/sql';
import type { ChangeKind } from './types';

export interface CustomerChange {
  externalUserId: string;
  userId?: string | null;
  chatId?: string | null;
  kind: ChangeKind;
  detail?: Record<string, unknown>;
  at: number;
  /**
   * What makes this change unique (the event or sync run that caused it), so re-handling the same
   * event records it once.
   */
  cause: string;
}

/** Appends follow/tag/group changes to the customer's history (idempotent by cause). */
export async function recordChanges(db: Sql, changes: CustomerChange[], now: number): Promise<number> {
  if (changes.length === 0) return 0;
  return insertIgnoringDuplicates(db, 'customer_changes',
    ['external_user_id', 'user_id', 'chat_id', 'kind', 'detail', 'at', 'dedupe_key', 'created_at'],
    changes.map((c) => [
      c.externalUserId, c.userId ?? null, c.chatId ?? null, c.kind, c.detail ? JSON.stringify(c.detail) : null, c.at,
      changeKey(c), now,
    ]),
    ['dedupe_key']);
}

function changeKey(c: CustomerChange): string {
  const subject = [c.kind, c.userId ?? '', c.chatId ?? '', c.externalUserId, c.detail?.tagId ?? ''].join('|');
  const key = `${c.cause}|${subject}`;
  return key.length <= 191 ? key : key.slice(0, 150) + '#' + hash(key);
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

/** The customers who deleted their rep in [from, to): the churn list of the daily digest. */
export async function findCustomerDeletions(db: Sql, from: number, to: number): Promise<{ externalUserId: string; userId: string; at: number }[]> {
  const rows = await db.query<{ external_user_id: string; user_id: string; ended_at: unknown }>(
    `SELECT external_user_id, user_id, ended_at FROM follows
     WHERE ended_by = 'customer_deleted' AND ended_at >= ? AND ended_at < ? ORDER BY ended_at`, [from, to]);
  return rows.map((r) => ({ externalUserId: r.external_user_id, userId: r.user_id, at: Number(r.ended_at) }));
}
