import type { Database } from '../../src/db/database';
import { insertIgnoringDuplicates } from '../../src/db/sql';
import { refreshCustomerFacts } from '../../src/messages/facts';

/**
 * Writes customers and their history straight into the tables (fast, for tests and the scale
 * benchmarks). Derived facts are refreshed through the message module, as ingestion does.
 */
export interface SeedCustomer {
  id: string;
  name?: string;
  rep: string;
  addedAt: number;
  /** How the relation ended, if it did. */
  ended?: { at: number; by: 'customer_deleted' | 'rep_deleted' | 'transfer' };
  orders?: { id: string; amount: number; at: number; product?: string }[];
  inbound?: number[];
  outbound?: number[];
  touches?: { at: number; category: 'care' | 'marketing' | 'welcome' | 'group_content' | 'service'; ref?: string }[];
  tags?: { id: string; name: string }[];
}

export async function seedCustomers(db: Database, customers: SeedCustomer[], now: number, o: { refreshFacts?: boolean } = {}): Promise<void> {
  const rows = <T>(f: (c: SeedCustomer) => T[]) => customers.flatMap(f);
  const batches: [string, string[], unknown[][], string[]][] = [
    ['external_contacts', ['external_user_id', 'name', 'type', 'gender', 'created_at', 'updated_at'],
      rows((c) => [[c.id, c.name ?? `客户${c.id}`, 1, 0, c.addedAt, now]]), ['external_user_id']],
    ['follows', ['user_id', 'external_user_id', 'status', 'added_at', 'ended_at', 'ended_by', 'last_event_at', 'created_at', 'updated_at'],
      rows((c) => [[c.rep, c.id, c.ended ? 'ended' : 'active', c.addedAt, c.ended?.at ?? null, c.ended?.by ?? null, c.addedAt, now, now]]),
      ['user_id', 'external_user_id']],
    ['orders', ['external_order_id', 'external_user_id', 'amount', 'paid_at', 'product', 'source', 'created_at', 'updated_at'],
      rows((c) => (c.orders ?? []).map((x) => [x.id, c.id, x.amount, x.at, x.product ?? null, 'api', now, now])), ['external_order_id']],
    ['messages', ['msgid', 'channel', 'direction', 'msg_type', 'external_user_id', 'user_id', 'text', 'msg_time', 'created_at'],
      rows((c) => [
        ...(c.inbound ?? []).map((t, i) => [`seed-in-${c.id}-${i}`, 'archive', 'in', 'text', c.id, c.rep, '你好', t, now]),
        ...(c.outbound ?? []).map((t, i) => [`seed-out-${c.id}-${i}`, 'archive', 'out', 'text', c.id, c.rep, '您好', t, now]),
      ]), ['msgid']],
    ['touches', ['external_user_id', 'user_id', 'category', 'at', 'source', 'ref', 'created_at'],
      rows((c) => (c.touches ?? []).map((t, i) => [c.id, c.rep, t.category, t.at, 'seed', t.ref ?? `seed-${i}`, now])), ['source', 'ref', 'external_user_id']],
    ['follow_tags', ['user_id', 'external_user_id', 'tag_id', 'tag_type', 'tag_name', 'added_at'],
      rows((c) => (c.tags ?? []).map((t) => [c.rep, c.id, t.id, 1, t.name, now])), ['user_id', 'external_user_id', 'tag_id']],
  ];
  for (const [table, cols, data, conflict] of batches) {
    const per = Math.max(1, Math.floor(20_000 / cols.length));
    for (let i = 0; i < data.length; i += per) await insertIgnoringDuplicates(db, table, cols, data.slice(i, i + per), conflict);
  }
  if (o.refreshFacts !== false) {
    const ids = customers.map((c) => c.id);
    for (let i = 0; i < ids.length; i += 500) {
      await db.transaction((tx) => refreshCustomerFacts(tx, ids.slice(i, i + 500), now));
    }
  }
}

export const DAY = 86_400_000;
