import type { Sql } from '../db/database';
import { insertIgnoringDuplicates, num, placeholders } from '../db/sql';
import { lockCustomerFacts, refreshCustomerFacts } from './facts';
import type { NewMessage, SendCategory, StoredMessage } from './types';

/** The one message store: every channel, idempotent by msgid. */

const COLUMNS = ['msgid', 'channel', 'direction', 'category', 'msg_type', 'external_user_id', 'user_id', 'chat_id', 'open_kfid', 'text', 'msg_time', 'created_at'];

/**
 * Stores messages, skipping msgids already stored, and brings the affected customers' facts up to
 * date. Returns how many were new.
 */
export async function insertMessages(tx: Sql, messages: NewMessage[], now: number): Promise<number> {
  const customers = [...new Set(messages.filter((m) => m.externalUserId && !m.chatId).map((m) => m.externalUserId!))];
  // Before inserting: makes each customer's message ids commit-ordered (see lockCustomerFacts).
  await lockCustomerFacts(tx, customers, now);
  let inserted = 0;
  for (let i = 0; i < messages.length; i += 200) {
    const part = messages.slice(i, i + 200);
    inserted += await insertIgnoringDuplicates(tx, 'messages', COLUMNS,
      part.map((m) => [
        m.msgid, m.channel, m.direction, m.category ?? null, m.msgType, m.externalUserId ?? null, m.userId ?? null,
        m.chatId ?? null, m.openKfId ?? null, m.text ?? null, m.msgTime, now,
      ]),
      ['msgid']);
  }
  if (inserted > 0) await refreshCustomerFacts(tx, customers, now);
  return inserted;
}

/** Which of these msgids are already stored (to report duplicates). */
export async function existingMsgids(db: Sql, msgids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < msgids.length; i += 500) {
    const part = msgids.slice(i, i + 500);
    const rows = await db.query<{ msgid: string }>(`SELECT msgid FROM messages WHERE msgid IN (${placeholders(part.length)})`, part);
    for (const r of rows) found.add(r.msgid);
  }
  return found;
}

export interface SentMessage {
  /** Stable id of the send (outbox id, welcome code, WeCom msgid); stored as `fencun:<ref>`. */
  ref: string;
  category: SendCategory;
  userId?: string | null;
  externalUserId?: string | null;
  chatId?: string | null;
  msgType?: string;
  text?: string | null;
  at: number;
}

/** Records a message Fencun sent (to a customer, a group or a member); idempotent by ref. */
export async function recordSentMessage(db: Sql, m: SentMessage, now: number): Promise<boolean> {
  const n = await insertMessages(db, [{
    msgid: `fencun:${m.ref}`, channel: 'fencun', direction: 'out', category: m.category, msgType: m.msgType ?? 'text',
    externalUserId: m.externalUserId ?? null, userId: m.userId ?? null, chatId: m.chatId ?? null, text: m.text ?? null, msgTime: m.at,
  }], now);
  return n === 1;
}

/** A customer's messages (any channel), newest first. */
export async function findMessagesOfCustomer(db: Sql, externalUserId: string, o: { before?: number; limit?: number } = {}): Promise<StoredMessage[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, ${COLUMNS.join(', ')} FROM messages WHERE external_user_id = ? AND msg_time < ? ORDER BY msg_time DESC, id DESC LIMIT ?`,
    [externalUserId, o.before ?? Number.MAX_SAFE_INTEGER, o.limit ?? 50]);
  return rows.map(toMessage);
}

export function toMessage(r: Record<string, unknown>): StoredMessage {
  return {
    id: num(r.id), msgid: String(r.msgid), channel: r.channel as StoredMessage['channel'], direction: r.direction as StoredMessage['direction'],
    category: (r.category as SendCategory) ?? null, msgType: String(r.msg_type), externalUserId: (r.external_user_id as string) ?? null,
    userId: (r.user_id as string) ?? null, chatId: (r.chat_id as string) ?? null, openKfId: (r.open_kfid as string) ?? null,
    text: (r.text as string) ?? null, msgTime: num(r.msg_time),
  };
}
