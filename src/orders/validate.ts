import { DateTime } from 'luxon';
import { z } from 'zod';
import { normalizeMobile } from '../contacts/follow-details';
import { maskMobile } from '../log';
import type { CsvRecord } from './csv';
import type { OrderInput, RowError } from './types';

/**
 * Order validation shared by the API (JSON records) and the CSV import. Field names are the same
 * in both: order_id, external_user_id, unionid, mobile, amount, paid_at, product, items.
 * See docs/DATA.md for the column mapping.
 */

export const MAX_ORDERS_PER_REQUEST = 1000;

/**
 * Line items are stored as JSON and read back on every profile: a list of flat objects (a name,
 * a quantity, perhaps one level of options). Deeper or bigger is not an order, and unbounded
 * nesting would overflow JSON.stringify's stack when storing it.
 */
export const MAX_ITEMS_DEPTH = 4;
export const MAX_ITEMS_JSON_CHARS = 64 * 1024;
/** Paid before 1990 is a typo (or epoch seconds read as something else), not a customer's order. */
const MIN_PAID_AT = Date.UTC(1990, 0, 1);
const ORDER_ID = /^[\x21-\x7e]+$/;

/** CSV header → field; English names as in the API, plus the Chinese headers shops export. */
export const CSV_COLUMNS: Record<string, keyof RawOrder> = {
  order_id: 'order_id', external_order_id: 'order_id', 订单号: 'order_id', 订单编号: 'order_id',
  external_user_id: 'external_user_id', externaluserid: 'external_user_id', 客户id: 'external_user_id',
  unionid: 'unionid',
  mobile: 'mobile', phone: 'mobile', 手机号: 'mobile', 手机: 'mobile',
  amount: 'amount', 金额: 'amount', 实付金额: 'amount',
  paid_at: 'paid_at', 支付时间: 'paid_at', 付款时间: 'paid_at',
  product: 'product', 商品: 'product', 商品名称: 'product',
  items: 'items', 明细: 'items',
};

export interface RawOrder {
  order_id?: unknown;
  external_user_id?: unknown;
  unionid?: unknown;
  mobile?: unknown;
  amount?: unknown;
  paid_at?: unknown;
  product?: unknown;
  items?: unknown;
}

const ApiOrder = z.object({
  order_id: z.string(),
  external_user_id: z.string().nullish(),
  unionid: z.string().nullish(),
  mobile: z.string().nullish(),
  amount: z.union([z.number(), z.string()]),
  paid_at: z.union([z.number(), z.string()]),
  product: z.string().nullish(),
  items: z.array(z.record(z.string(), z.unknown())).max(500).nullish(),
}).strict();

export const ApiOrderBatch = z.object({
  orders: z.array(z.unknown()).min(1, 'must hold at least one order').max(MAX_ORDERS_PER_REQUEST, `at most ${MAX_ORDERS_PER_REQUEST} orders per request`),
});

interface Context {
  timezone: string;
  now: number;
}

/** Validates API records; every problem of every record is reported, by index and field. */
export function validateApiOrders(records: unknown[], ctx: Context): { orders: OrderInput[]; errors: RowError[] } {
  const orders: OrderInput[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  records.forEach((rec, index) => {
    const parsed = ApiOrder.safeParse(rec);
    if (!parsed.success) {
      for (const i of parsed.error.issues) errors.push({ index, column: i.path.join('.') || '(record)', reason: i.message });
      return;
    }
    const r = checkOrder(parsed.data, ctx);
    if ('errors' in r) errors.push(...r.errors.map((e) => ({ index, ...e })));
    else if (seen.has(r.order.orderId.toLowerCase())) errors.push({ index, column: 'order_id', reason: `duplicates order ${seen.get(r.order.orderId.toLowerCase())} of this batch` });
    else {
      seen.set(r.order.orderId.toLowerCase(), index);
      orders.push(r.order);
    }
  });
  return { orders, errors };
}

/** Validates CSV records (the first is the header); errors carry the line and column. */
export function validateCsvOrders(records: CsvRecord[], ctx: Context): { orders: OrderInput[]; errors: RowError[]; ignoredColumns: string[] } {
  const errors: RowError[] = [];
  const orders: OrderInput[] = [];
  if (records.length === 0) return { orders, errors: [{ line: 1, column: '(file)', reason: 'the file is empty; expected a header line' }], ignoredColumns: [] };
  const header = records[0];
  const mapping: (keyof RawOrder | null)[] = header.fields.map((h) => CSV_COLUMNS[h.trim().toLowerCase()] ?? null);
  const ignoredColumns = header.fields.filter((_, i) => mapping[i] === null).map((h) => h.trim());
  for (const required of ['order_id', 'amount', 'paid_at'] as const) {
    if (!mapping.includes(required)) errors.push({ line: header.line, column: required, reason: `the header has no ${required} column` });
  }
  if (!mapping.some((m) => m === 'external_user_id' || m === 'unionid' || m === 'mobile')) {
    errors.push({ line: header.line, column: 'external_user_id', reason: 'the header needs one of external_user_id, unionid or mobile' });
  }
  if (errors.length > 0) return { orders, errors, ignoredColumns };
  const seen = new Map<string, number>();
  for (const rec of records.slice(1)) {
    if (rec.fields.length !== header.fields.length) {
      errors.push({ line: rec.line, column: '(row)', reason: `has ${rec.fields.length} fields, the header has ${header.fields.length}` });
      continue;
    }
    const raw: RawOrder = {};
    mapping.forEach((m, i) => {
      if (m && rec.fields[i].trim() !== '') raw[m] = rec.fields[i].trim();
    });
    if (typeof raw.items === 'string') raw.items = parseItems(raw.items);
    const r = checkOrder(raw, ctx);
    if ('errors' in r) errors.push(...r.errors.map((e) => ({ line: rec.line, ...e })));
    else if (seen.has(r.order.orderId.toLowerCase())) errors.push({ line: rec.line, column: 'order_id', reason: `order ${r.order.orderId} already appears on line ${seen.get(r.order.orderId.toLowerCase())}` });
    else {
      seen.set(r.order.orderId.toLowerCase(), rec.line);
      orders.push(r.order);
    }
  }
  return { orders, errors, ignoredColumns };
}

function checkOrder(raw: RawOrder, ctx: Context): { order: OrderInput } | { errors: Omit<RowError, 'line' | 'index'>[] } {
  const errors: Omit<RowError, 'line' | 'index'>[] = [];
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v).trim());
  const orderId = str(raw.order_id);
  if (orderId === '') errors.push({ column: 'order_id', reason: 'is required' });
  else if (orderId.length > 128) errors.push({ column: 'order_id', reason: 'is longer than 128 characters' });
  // MySQL compares ids under a case- and accent-insensitive collation (and all astral characters
  // alike), SQLite byte by byte: only printable ASCII, compared without case, means one thing on both.
  else if (!ORDER_ID.test(orderId)) errors.push({ column: 'order_id', reason: 'may hold only letters, digits and ASCII punctuation (no spaces)' });
  const externalUserId = str(raw.external_user_id) || null;
  const unionid = str(raw.unionid) || null;
  if (externalUserId && externalUserId.length > 128) errors.push({ column: 'external_user_id', reason: 'is longer than 128 characters' });
  if (unionid && unionid.length > 128) errors.push({ column: 'unionid', reason: 'is longer than 128 characters' });
  let mobile: string | null = null;
  if (str(raw.mobile) !== '') {
    mobile = normalizeMobile(str(raw.mobile));
    if (!/^\d{6,15}$/.test(mobile)) errors.push({ column: 'mobile', reason: `${maskMobile(str(raw.mobile))} is not a phone number` });
  }
  if (!externalUserId && !unionid && !mobile) errors.push({ column: 'external_user_id', reason: 'one of external_user_id, unionid or mobile is required' });
  const amount = parseAmount(raw.amount);
  if (typeof amount === 'string') errors.push({ column: 'amount', reason: amount });
  const paidAt = parseInstant(raw.paid_at, ctx.timezone);
  if (typeof paidAt === 'string') errors.push({ column: 'paid_at', reason: paidAt });
  else if (paidAt > ctx.now + 86_400_000) errors.push({ column: 'paid_at', reason: `${new Date(paidAt).toISOString()} is in the future` });
  else if (paidAt < MIN_PAID_AT) errors.push({ column: 'paid_at', reason: `${new Date(paidAt).toISOString()} is before 1990` });
  const product = str(raw.product) || null;
  if (product && product.length > 255) errors.push({ column: 'product', reason: 'is longer than 255 characters' });
  const itemsProblem = checkItems(raw.items);
  if (itemsProblem) errors.push({ column: 'items', reason: itemsProblem });
  if (errors.length > 0) return { errors };
  const items = raw.items ?? null;
  const firstItem = Array.isArray(items) ? (items[0] as { name?: unknown } | undefined)?.name : undefined;
  return {
    order: {
      orderId, externalUserId, unionid, mobile, amount: amount as number, paidAt: paidAt as number,
      product: product ?? (typeof firstItem === 'string' ? firstItem.slice(0, 255) : null), items,
    },
  };
}

/** Why these items cannot be stored, or null. Iterative: the input may nest 50,000 levels. */
export function checkItems(items: unknown): string | null {
  if (items === undefined || items === null) return null;
  if (typeof items === 'string') return items.length > MAX_ITEMS_JSON_CHARS ? `is over ${MAX_ITEMS_JSON_CHARS / 1024} KB` : null;
  const stack: { v: unknown; depth: number }[] = [{ v: items, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_ITEMS_DEPTH) return `nests deeper than ${MAX_ITEMS_DEPTH} levels; send a list of flat item objects`;
    if (++nodes > 10_000) return 'has too many values';
    for (const child of Object.values(v as Record<string, unknown>)) stack.push({ v: child, depth: depth + 1 });
  }
  if (JSON.stringify(items).length > MAX_ITEMS_JSON_CHARS) return `is over ${MAX_ITEMS_JSON_CHARS / 1024} KB as JSON`;
  return null;
}

/** Yuan with at most 2 decimals; "¥1,299.00" and "-50" (a refund) are fine. */
export function parseAmount(v: unknown): number | string {
  if (v === undefined || v === null || v === '') return 'is required';
  const s = typeof v === 'number' ? String(v) : String(v).replace(/[¥￥,\s]/g, '');
  if (!/^-?\d+(\.\d+)?$/.test(s) || (typeof v === 'number' && !Number.isFinite(v))) return `"${String(v)}" is not an amount in yuan, e.g. 1299.00`;
  const n = Number(s);
  if (Math.abs(Math.round(n * 100) - n * 100) > 1e-6) return `"${String(v)}" has more than 2 decimal places (fen)`;
  if (Math.abs(n) >= 1e12) return `"${String(v)}" is too large`;
  return Math.round(n * 100) / 100;
}

/**
 * An instant: ISO 8601 with or without offset, "YYYY-MM-DD HH:mm[:ss]" or a date, read in the
 * corp's time zone when no offset is given; or epoch seconds / milliseconds.
 */
export function parseInstant(v: unknown, timezone: string): number | string {
  if (v === undefined || v === null || v === '') return 'is required';
  const s = String(v).trim();
  if (/^\d{10}$/.test(s)) return Number(s) * 1000;
  if (/^\d{13}$/.test(s)) return Number(s);
  const text = s.replace(/\//g, '-');
  let dt = DateTime.fromISO(text, { zone: timezone });
  if (!dt.isValid) dt = DateTime.fromSQL(text, { zone: timezone });
  if (!dt.isValid) return `"${s}" is not a time; use e.g. 2025-03-01 14:30:00 (${timezone}) or 2025-03-01T14:30:00+08:00`;
  return dt.toMillis();
}

function parseItems(text: string): unknown {
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
