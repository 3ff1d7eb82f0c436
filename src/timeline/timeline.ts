import type { Sql } from '../db/database';
import { num } from '../db/sql';
import type { ChangeKind } from '../contacts/types';
import { AppError } from '../errors';
import type { Channel, Direction, SendCategory } from '../messages/types';
import type { TouchCategory } from '../touches/repository';

/**
 * A customer's whole history in one list, newest first: messages (every channel), orders, notes,
 * follow/tag/group changes and touches. Each source is read with the same keyset (time, source,
 * id) and the pages are merged, so paging is stable while new items arrive.
 */

export type TimelineItem =
  | { kind: 'message'; at: number; id: number; channel: Channel; direction: Direction; category: SendCategory | null; msgType: string; text: string | null; userId: string | null; chatId: string | null }
  | { kind: 'order'; at: number; id: number; orderId: string; amount: number; product: string | null }
  | { kind: 'note'; at: number; id: number; userId: string; text: string; isComplaint: boolean; followType?: string | null; nextFollowUpAt?: number | null }
  | { kind: 'change'; at: number; id: number; change: ChangeKind; userId: string | null; chatId: string | null; detail: Record<string, unknown> | null; origin: ChangeOrigin }
  | { kind: 'touch'; at: number; id: number; category: TouchCategory; source: string; userId: string | null };

/**
 * What wrote a change, read from the cause its dedupe key starts with (contacts/history.ts): a
 * WeCom event (`evt:`), a rep in the sidebar (`sidebar:`), or a sync run (`sync:`) that found in
 * WeCom what no event had told us — nobody in particular did it at that moment.
 */
export type ChangeOrigin = 'event' | 'sidebar' | 'sync' | 'other';

/** The rep's filter chips: 消息 / 订单 / 记录 / 系统 (follow, tag and group changes, touches). */
export const TIMELINE_FILTERS = ['messages', 'orders', 'notes', 'system'] as const;
export type TimelineFilter = (typeof TIMELINE_FILTERS)[number];
const FILTER_KINDS: Record<TimelineFilter, TimelineItem['kind'][]> = {
  messages: ['message'], orders: ['order'], notes: ['note'], system: ['change', 'touch'],
};

export interface TimelinePage {
  items: TimelineItem[];
  /** Pass as `before` for the next (older) page; null at the end. */
  next: string | null;
}

export const MAX_TIMELINE_LIMIT = 200;

type Kind = TimelineItem['kind'];

/** Tie-break between sources at the same instant (higher first). */
const RANK: Record<Kind, number> = { message: 5, order: 4, note: 3, change: 2, touch: 1 };

interface Position {
  at: number;
  rank: number;
  id: number;
}

interface Source {
  kind: Kind;
  table: string;
  time: string;
  columns: string;
  where: string;
  map: (r: Record<string, unknown>) => TimelineItem;
}

const SOURCES: Source[] = [
  {
    kind: 'message', table: 'messages', time: 'msg_time', where: 'external_user_id = ?',
    columns: 'id, msg_time, channel, direction, category, msg_type, text, user_id, chat_id',
    map: (r) => ({
      kind: 'message', at: num(r.msg_time), id: num(r.id), channel: r.channel as Channel, direction: r.direction as Direction,
      category: (r.category as SendCategory) ?? null, msgType: String(r.msg_type), text: (r.text as string) ?? null,
      userId: (r.user_id as string) ?? null, chatId: (r.chat_id as string) ?? null,
    }),
  },
  {
    kind: 'order', table: 'orders', time: 'paid_at', where: 'external_user_id = ?', columns: 'id, paid_at, external_order_id, amount, product',
    map: (r) => ({ kind: 'order', at: num(r.paid_at), id: num(r.id), orderId: String(r.external_order_id), amount: Number(r.amount), product: (r.product as string) ?? null }),
  },
  {
    kind: 'note', table: 'notes', time: 'created_at', where: 'external_user_id = ?', columns: 'id, created_at, user_id, text, is_complaint, follow_type, next_follow_up_at',
    map: (r) => ({
      kind: 'note', at: num(r.created_at), id: num(r.id), userId: String(r.user_id), text: String(r.text), isComplaint: num(r.is_complaint) === 1,
      // A follow-up record (src/followups): its kind and the next follow-up the rep planned.
      followType: (r.follow_type as string) ?? null, nextFollowUpAt: r.next_follow_up_at == null ? null : num(r.next_follow_up_at),
    }),
  },
  {
    kind: 'change', table: 'customer_changes', time: 'at', where: 'external_user_id = ?', columns: 'id, at, kind, user_id, chat_id, detail, dedupe_key',
    map: (r) => ({
      kind: 'change', at: num(r.at), id: num(r.id), change: r.kind as ChangeKind, userId: (r.user_id as string) ?? null,
      chatId: (r.chat_id as string) ?? null, detail: r.detail ? (JSON.parse(String(r.detail)) as Record<string, unknown>) : null,
      origin: originOf(String(r.dedupe_key ?? '')),
    }),
  },
  {
    kind: 'touch', table: 'touches', time: 'at', where: 'external_user_id = ?', columns: 'id, at, category, source, user_id',
    map: (r) => ({ kind: 'touch', at: num(r.at), id: num(r.id), category: r.category as TouchCategory, source: String(r.source), userId: (r.user_id as string) ?? null }),
  },
];

function originOf(dedupeKey: string): ChangeOrigin {
  if (dedupeKey.startsWith('sync:')) return 'sync';
  if (dedupeKey.startsWith('evt:')) return 'event';
  if (dedupeKey.startsWith('sidebar:')) return 'sidebar';
  return 'other';
}

/**
 * `only` keeps the sources of one filter; the cursor is the same (time, source, id) keyset, so a
 * filtered list pages as stably as the whole one.
 */
export async function getTimeline(
  db: Sql, externalUserId: string, o: { before?: string | null; limit?: number; only?: TimelineFilter | null } = {},
): Promise<TimelinePage> {
  const limit = Math.min(Math.max(1, Math.floor(o.limit ?? 50)), MAX_TIMELINE_LIMIT);
  const after = o.before ? decodeCursor(o.before) : null;
  const sources = o.only ? SOURCES.filter((s) => FILTER_KINDS[o.only!].includes(s.kind)) : SOURCES;
  const pages = await Promise.all(sources.map((s) => readSource(db, s, externalUserId, after, limit + 1)));
  const merged = pages.flat().sort(compareDesc).slice(0, limit + 1);
  const items = merged.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: merged.length > limit && last ? encodeCursor({ at: last.at, rank: RANK[last.kind], id: last.id }) : null };
}

async function readSource(db: Sql, s: Source, externalUserId: string, after: Position | null, limit: number): Promise<TimelineItem[]> {
  const rank = RANK[s.kind];
  let keyset = '';
  const params: unknown[] = [externalUserId];
  if (after) {
    // Strictly older than the cursor in (time, rank, id) order.
    if (rank < after.rank) keyset = ` AND ${s.time} <= ?`;
    else if (rank > after.rank) keyset = ` AND ${s.time} < ?`;
    else keyset = ` AND (${s.time} < ? OR (${s.time} = ? AND id < ?))`;
    params.push(after.at);
    if (rank === after.rank) params.push(after.at, after.id);
  }
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${s.columns} FROM ${s.table} WHERE ${s.where}${keyset} ORDER BY ${s.time} DESC, id DESC LIMIT ?`, [...params, limit]);
  return rows.map(s.map);
}

function compareDesc(a: TimelineItem, b: TimelineItem): number {
  return b.at - a.at || RANK[b.kind] - RANK[a.kind] || b.id - a.id;
}

export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.at}.${p.rank}.${p.id}`).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  const m = /^(-?\d+)\.(\d)\.(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('BAD_CURSOR', 'the timeline cursor is not one this server issued; start again without `before`', { status: 400 });
  return { at: Number(m[1]), rank: Number(m[2]), id: Number(m[3]) };
}
