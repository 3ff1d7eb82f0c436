import type { Sql } from '../db/database';
import { insertIgnoringDuplicates, num, placeholders } from '../db/sql';
import { refreshCustomerFacts } from '../messages/facts';

/**
 * Touches: every proactive contact with a customer, counted by the contact-pressure policy.
 * `service` (answering the customer) is recorded for the record but is never capped.
 */
export type TouchCategory = 'care' | 'marketing' | 'welcome' | 'group_content' | 'service';

export const TOUCH_CATEGORIES: TouchCategory[] = ['care', 'marketing', 'welcome', 'group_content', 'service'];

export interface Touch {
  externalUserId: string;
  userId?: string | null;
  category: TouchCategory;
  at: number;
  /** What produced it: welcome, outreach, reminder, group_content, sidebar… */
  source: string;
  /** The producing record (welcome code, outbox id…): the same (source, ref, customer) counts once. */
  ref: string;
}

/** Records a touch once; returns false when it was already recorded. */
export async function recordTouch(db: Sql, t: Touch, now: number): Promise<boolean> {
  const n = await insertIgnoringDuplicates(db, 'touches',
    ['external_user_id', 'user_id', 'category', 'at', 'source', 'ref', 'created_at'],
    [[t.externalUserId, t.userId ?? null, t.category, t.at, t.source, t.ref, now]],
    ['source', 'ref', 'external_user_id']);
  if (n > 0) await refreshCustomerFacts(db, [t.externalUserId], now);
  return n > 0;
}

/** How many touches a customer had in [since, until), optionally of some categories only. */
export async function countTouches(db: Sql, externalUserId: string, o: { since: number; until?: number; categories?: TouchCategory[] }): Promise<number> {
  const cats = o.categories ?? [];
  const [r] = await db.query<{ n: unknown }>(
    `SELECT COUNT(*) AS n FROM touches WHERE external_user_id = ? AND at >= ? AND at < ?${cats.length ? ` AND category IN (${placeholders(cats.length)})` : ''}`,
    [externalUserId, o.since, o.until ?? Number.MAX_SAFE_INTEGER, ...cats]);
  return num(r?.n ?? 0);
}

export interface StoredTouch extends Touch {
  id: number;
}

/** Touches of many customers since an instant, oldest first per customer (pressure checks in bulk). */
export async function findTouchesSince(db: Sql, externalUserIds: string[], since: number): Promise<Map<string, StoredTouch[]>> {
  const out = new Map<string, StoredTouch[]>();
  for (let i = 0; i < externalUserIds.length; i += 500) {
    const part = externalUserIds.slice(i, i + 500);
    if (part.length === 0) continue;
    const rows = await db.query<Record<string, unknown>>(
      `SELECT id, external_user_id, user_id, category, at, source, ref FROM touches
       WHERE external_user_id IN (${placeholders(part.length)}) AND at >= ? ORDER BY at, id`, [...part, since]);
    for (const r of rows) {
      const t = toTouch(r);
      const list = out.get(t.externalUserId) ?? [];
      list.push(t);
      out.set(t.externalUserId, list);
    }
  }
  return out;
}

export async function findTouchesOfCustomer(db: Sql, externalUserId: string, since = 0): Promise<StoredTouch[]> {
  return (await findTouchesSince(db, [externalUserId], since)).get(externalUserId) ?? [];
}

function toTouch(r: Record<string, unknown>): StoredTouch {
  return {
    id: num(r.id), externalUserId: String(r.external_user_id), userId: (r.user_id as string) ?? null, category: r.category as TouchCategory,
    at: num(r.at), source: String(r.source), ref: String(r.ref),
  };
}

