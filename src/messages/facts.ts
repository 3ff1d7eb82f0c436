import { Database, type Sql } from '../db/database';
import { chunks, insertIgnoringDuplicates, num, numOrNull, placeholders } from '../db/sql';
import { canFoldIncrementally, EMPTY_FACTS, FactsState, FoldMessage, foldMessage } from './facts-fold';

/**
 * customer_facts: one row per customer with what the sidebar and the policies ask most — last
 * inbound, last outbound, unanswered since (SLA), reply ratio, touches since they last wrote.
 * Kept current on every message or touch write.
 */

/** Only 1:1 customer conversation counts (not groups, not the app, not recalls or system events). */
const COUNTED = `chat_id IS NULL AND channel <> 'app' AND msg_type NOT IN ('recall', 'event', 'switch')`;

/**
 * Locks the facts rows of these customers (creating missing ones), in key order so two writers of
 * overlapping customers cannot deadlock. insertMessages takes them *before* it inserts, which makes
 * each customer's message ids commit-ordered on MySQL: a message of X gets its id only while its
 * transaction holds X's row, and every earlier writer of X has committed by then. That is what
 * lets last_msg_id serve as the fold's cursor. Outside a transaction there is nothing to hold.
 */
export async function lockCustomerFacts(tx: Sql, externalUserIds: string[], now: number): Promise<void> {
  if (tx instanceof Database) return;
  const ids = [...new Set(externalUserIds)].sort();
  for (const part of chunks(ids, 500)) {
    await insertIgnoringDuplicates(tx, 'customer_facts', ['external_user_id', 'updated_at'], part.map((id) => [id, now]), ['external_user_id']);
    if (tx.dialect === 'mysql') {
      await tx.query(`SELECT id FROM customer_facts WHERE external_user_id IN (${placeholders(part.length)}) ORDER BY external_user_id FOR UPDATE`, part);
    }
  }
}

/**
 * Brings these customers' facts up to date with every committed message and touch. Given the
 * Database rather than a transaction, it opens one, so the read-fold-write of a customer's row is
 * never interleaved with another's.
 */
export async function refreshCustomerFacts(tx: Sql, externalUserIds: string[], now: number): Promise<void> {
  if (tx instanceof Database) {
    await tx.transaction((t) => refreshCustomerFacts(t, externalUserIds, now));
    return;
  }
  for (const id of [...new Set(externalUserIds)].sort()) await refreshOne(tx, id, now);
}

/**
 * Folds the messages after the row's watermark into it. Exactly once per message, whatever the
 * commit order, rests on one invariant checked on every refresh: the stored counts are the fold of
 * exactly the counted messages with id <= last_msg_id. A message committed below the watermark
 * (written outside insertMessages' lock, or by a transaction that outlived another writer of the
 * customer) breaks the count, and the refresh then recounts from scratch instead of folding — so
 * it is never skipped and, being recounted rather than added, never counted twice.
 */
async function refreshOne(tx: Sql, externalUserId: string, now: number): Promise<void> {
  // Create the row first so that, on MySQL, FOR UPDATE serialises concurrent refreshes of one customer.
  await insertIgnoringDuplicates(tx, 'customer_facts', ['external_user_id', 'updated_at'], [[externalUserId, now]], ['external_user_id']);
  const rows = await tx.query<Record<string, unknown>>(
    `SELECT * FROM customer_facts WHERE external_user_id = ?${tx.dialect === 'mysql' ? ' FOR UPDATE' : ''}`, [externalUserId]);
  let state = toState(rows[0]);
  const [folded] = await tx.query<{ n: unknown }>(
    `SELECT COUNT(*) AS n FROM messages WHERE external_user_id = ? AND id <= ? AND ${COUNTED}`, [externalUserId, state.lastMsgId]);
  const exact = num(folded?.n ?? 0) === state.inboundCount + state.outboundCount;
  const fresh = exact ? await messagesAfter(tx, externalUserId, state.lastMsgId, false) : [];
  if (!exact || !canFoldIncrementally(state, fresh)) {
    state = EMPTY_FACTS;
    for (const m of await messagesAfter(tx, externalUserId, 0, true)) state = foldMessage(state, m);
  } else {
    for (const m of fresh) state = foldMessage(state, m);
  }
  const [t] = await tx.query<{ n: unknown; last_at: unknown }>(
    `SELECT COUNT(CASE WHEN at > ? THEN 1 END) AS n, MAX(at) AS last_at FROM touches WHERE external_user_id = ?`,
    [state.lastInboundAt ?? -1, externalUserId]);
  await tx.exec(
    `UPDATE customer_facts SET last_inbound_at = ?, last_outbound_at = ?, unanswered_since = ?, inbound_count = ?, outbound_count = ?,
       conversations = ?, answered_conversations = ?, last_touch_at = ?, touches_since_inbound = ?, last_direction = ?, last_msg_at = ?,
       last_msg_id = ?, updated_at = ? WHERE external_user_id = ?`,
    [state.lastInboundAt, state.lastOutboundAt, state.unansweredSince, state.inboundCount, state.outboundCount, state.conversations,
      state.answeredConversations, numOrNull(t?.last_at), num(t?.n ?? 0), state.lastDirection, state.lastMsgAt, state.lastMsgId, now, externalUserId]);
}

/**
 * A customer's counted messages after an id, in fold order. The recount reads them with a shared
 * lock on MySQL: a locking read sees the latest committed rows, while a plain read in a
 * transaction that had read something earlier (archive ingest does) sees its old snapshot and
 * would recount without a message another writer committed meanwhile. It cannot wait on a
 * writer of this customer: those hold the facts row this transaction already holds.
 */
async function messagesAfter(tx: Sql, externalUserId: string, afterId: number, current: boolean): Promise<FoldMessage[]> {
  const rows = await tx.query<{ id: unknown; direction: string; msg_time: unknown }>(
    `SELECT id, direction, msg_time FROM messages WHERE external_user_id = ? AND id > ? AND ${COUNTED} ORDER BY msg_time, id${
      current && tx.dialect === 'mysql' ? ' LOCK IN SHARE MODE' : ''}`,
    [externalUserId, afterId]);
  return rows.map((r) => ({ id: num(r.id), direction: r.direction === 'in' ? 'in' : 'out', at: num(r.msg_time) }));
}

function toState(r: Record<string, unknown> | undefined): FactsState {
  if (!r) return EMPTY_FACTS;
  return {
    lastInboundAt: numOrNull(r.last_inbound_at), lastOutboundAt: numOrNull(r.last_outbound_at), unansweredSince: numOrNull(r.unanswered_since),
    inboundCount: num(r.inbound_count ?? 0), outboundCount: num(r.outbound_count ?? 0), conversations: num(r.conversations ?? 0),
    answeredConversations: num(r.answered_conversations ?? 0),
    lastDirection: r.last_direction === 'in' || r.last_direction === 'out' ? r.last_direction : null,
    lastMsgAt: numOrNull(r.last_msg_at), lastMsgId: num(r.last_msg_id ?? 0),
  };
}

/** What the sidebar, tiers, lifecycle and pressure policy read about a customer's conversation. */
export interface ContactFacts {
  externalUserId: string;
  lastInboundAt: Date | null;
  lastOutboundAt: Date | null;
  /** The oldest customer message still waiting for our reply; null when nothing is waiting. */
  unansweredSince: Date | null;
  inboundCount: number;
  outboundCount: number;
  conversations: number;
  answeredConversations: number;
  /** answered / conversations; null before the customer ever wrote. */
  replyRatio: number | null;
  lastTouchAt: Date | null;
  /** Proactive touches since the customer last wrote (back-off input). */
  touchesSinceInbound: number;
}

/** Facts for many customers at once; customers without messages or touches are absent. */
export async function findCustomerFacts(db: Sql, externalUserIds: string[]): Promise<Map<string, ContactFacts>> {
  const out = new Map<string, ContactFacts>();
  for (let i = 0; i < externalUserIds.length; i += 500) {
    const part = externalUserIds.slice(i, i + 500);
    if (part.length === 0) continue;
    const rows = await db.query<Record<string, unknown>>(
      `SELECT * FROM customer_facts WHERE external_user_id IN (${placeholders(part.length)})`, part);
    for (const r of rows) out.set(String(r.external_user_id), toFacts(r));
  }
  return out;
}

/** Customers whose message has waited longer than `olderThan` (ms epoch) for a reply. */
export async function findUnansweredSince(db: Sql, olderThan: number, limit = 1000): Promise<ContactFacts[]> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT * FROM customer_facts WHERE unanswered_since IS NOT NULL AND unanswered_since <= ? ORDER BY unanswered_since LIMIT ?', [olderThan, limit]);
  return rows.map(toFacts);
}

function toFacts(r: Record<string, unknown>): ContactFacts {
  const s = toState(r);
  const date = (v: number | null) => (v === null ? null : new Date(v));
  return {
    externalUserId: String(r.external_user_id), lastInboundAt: date(s.lastInboundAt), lastOutboundAt: date(s.lastOutboundAt),
    unansweredSince: date(s.unansweredSince), inboundCount: s.inboundCount, outboundCount: s.outboundCount,
    conversations: s.conversations, answeredConversations: s.answeredConversations,
    replyRatio: s.conversations === 0 ? null : s.answeredConversations / s.conversations,
    lastTouchAt: date(numOrNull(r.last_touch_at)), touchesSinceInbound: num(r.touches_since_inbound ?? 0),
  };
}
