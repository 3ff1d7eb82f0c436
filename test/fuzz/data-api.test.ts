import fc from 'fast-check';
import { importOrders, readOrdersCsv } from '../../src/orders/service';
import type { ContactProfileView } from '../../src/sidebar-api/types';
import { CUSTOMERS, NOW, REPS } from '../sidebar/fixture';
import type { SidebarClient } from '../sidebar/http';
import { bearer, count, startSecurityWorld, type SecurityWorld } from '../security/world';
import { fuzzOptions, hostileString, hostileTime, hostileValue, mostly, nested } from './arbitraries';

jest.setTimeout(300_000);

/**
 * Property: whatever a machine client posts to the data APIs, the answer is a 2xx or a 4xx
 * (never 5xx); a refused batch writes nothing; and nothing stored makes the customer's sidebar
 * profile, its timeline or the data API timeline fail afterwards.
 */

const now = NOW.getTime();
const KNOWN = [CUSTOMERS.chen, CUSTOMERS.liu, CUSTOMERS.xie];
const someId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KNOWN, REPS.lina, REPS.zhangwei) }, { weight: 1, arbitrary: hostileString(200) });

let world: SecurityWorld;
let lina: SidebarClient;
let ip = 0;
beforeAll(async () => {
  world = await startSecurityWorld({ FENCUN_TRUSTED_PROXIES: '127.0.0.1' });
  lina = await world.as(REPS.lina);
});
afterAll(async () => {
  await world?.stop();
});

/** Answers by status, per endpoint: each property checks its generator reached the store too. */
const outcomes = new Map<string, Record<number, number>>();

async function post(path: string, body: string): Promise<number> {
  const res = await fetch(world.url + path, { method: 'POST', headers: { ...bearer(), 'X-Forwarded-For': `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip++ & 255}` }, body });
  await res.arrayBuffer();
  const o = outcomes.get(path) ?? {};
  o[res.status] = (o[res.status] ?? 0) + 1;
  outcomes.set(path, o);
  return res.status;
}

function expectSomeStored(path: string): void {
  const o = outcomes.get(path)!;
  console.log(`${path}: ${JSON.stringify(o)}`);
  expect(o[200]).toBeGreaterThan(0);
  expect(Object.keys(o).length).toBeGreaterThan(1);
}

/** Every reader of what was stored still answers. */
async function readersStillAnswer(): Promise<void> {
  for (const id of KNOWN) {
    const profile = await lina.json<ContactProfileView>('GET', `/sidebar/api/contacts/${id}`);
    expect({ id, status: profile.status }).toEqual({ id, status: 200 });
    expect({ id, status: (await lina.json('GET', `/sidebar/api/contacts/${id}/timeline`)).status }).toEqual({ id, status: 200 });
    const api = await fetch(`${world.url}/api/customers/${id}/timeline`, { headers: { ...bearer(), 'X-Forwarded-For': '10.255.255.1' } });
    expect({ id, status: api.status }).toEqual({ id, status: 200 });
    await api.arrayBuffer();
  }
}

const archiveRecord = fc.record({
  msgid: mostly(fc.string({ minLength: 1, maxLength: 40 }).map((s) => `fz-${s}`), now),
  action: mostly(fc.constantFrom('send', 'recall', 'switch'), now),
  from: mostly(someId, now),
  tolist: mostly(fc.array(someId, { maxLength: 4 }), now),
  roomid: fc.option(mostly(fc.constantFrom('wrShanChaHua0001AAAAAAAA', ''), now), { nil: undefined }),
  msgtime: fc.oneof({ weight: 2, arbitrary: fc.integer({ min: now - 400 * 86_400_000, max: now }) }, { weight: 1, arbitrary: hostileTime(now) }),
  msgtype: mostly(fc.constantFrom('text', 'image', 'revoke'), now),
  text: mostly(fc.record({ content: hostileString(500) }), now),
  seq: fc.option(mostly(fc.nat(), now), { nil: undefined }),
  extra: fc.option(hostileValue(now), { nil: undefined, freq: 4 }),
}, { requiredKeys: ['msgid', 'action', 'msgtime'] });

/**
 * Records that should be accepted, with edge values where they are allowed (any unicode text,
 * the time bounds, ids of every shape): what they store must never break a reader.
 */
const plausibleArchiveRecord = fc.record({
  msgid: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
  action: fc.constantFrom('send', 'recall'),
  from: fc.constantFrom(...KNOWN, REPS.lina),
  tolist: fc.array(fc.constantFrom(...KNOWN, REPS.lina, REPS.zhangwei), { minLength: 1, maxLength: 3 }),
  msgtime: fc.oneof(fc.constantFrom(Date.UTC(2010, 0, 1), now + 86_400_000, now), fc.integer({ min: Date.UTC(2010, 0, 1), max: now + 86_400_000 })),
  msgtype: fc.constantFrom('text', 'image', 'voice', 'emotion', 'mixed'),
  text: fc.record({ content: hostileString(2000) }),
});

const order = fc.record({
  order_id: mostly(fc.string({ minLength: 1, maxLength: 30 }).map((s) => `fz-${s}`), now),
  external_user_id: mostly(someId, now),
  mobile: fc.option(mostly(fc.constantFrom('13812345678', '+86 138 1234 5678', '12'), now), { nil: undefined }),
  amount: mostly(fc.oneof(fc.integer({ min: -10_000, max: 100_000 }), fc.constantFrom('¥1,299.00', '0.001', '1e3')), now),
  paid_at: fc.oneof({ weight: 2, arbitrary: fc.integer({ min: now - 400 * 86_400_000, max: now }) }, { weight: 1, arbitrary: hostileTime(now) }),
  product: fc.option(hostileString(300), { nil: undefined }),
  items: fc.option(fc.oneof(fc.array(fc.record({ name: hostileString(40), qty: hostileValue(now) }), { maxLength: 3 }), nested(40), hostileValue(now)), { nil: undefined }),
}, { requiredKeys: ['order_id', 'amount', 'paid_at'] });

const attribute = fc.record({
  external_user_id: mostly(someId, now),
  birthday: fc.option(mostly(fc.constantFrom('1990-05-03', '05-03', '2000-02-29', '1900-13-40', '9999-12-31'), now), { nil: undefined }),
  anniversary: fc.option(mostly(fc.constantFrom('2019-06-01', '2026-01-01'), now), { nil: undefined }),
}, { requiredKeys: ['external_user_id'] });

/** The body as sent: usually JSON of the batch, sometimes mangled text. */
const body = <T>(batch: fc.Arbitrary<T>) => fc.oneof(
  { weight: 5, arbitrary: batch.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.tuple(batch.map((b) => JSON.stringify(b)), fc.nat(), hostileString(8)).map(([t, at, s]) => t.slice(0, at % (t.length + 1)) + s) },
  { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '{}', '"x"', '['.repeat(100_000), `[${'{"a":'.repeat(40)}1${'}'.repeat(40)}]`) },
);

it('archive ingest: never 5xx, all or nothing, readers keep answering', async () => {
  const batch = fc.oneof(fc.array(archiveRecord, { minLength: 1, maxLength: 5 }), fc.array(plausibleArchiveRecord, { minLength: 1, maxLength: 5 }));
  await fc.assert(fc.asyncProperty(body(batch), async (text) => {
    const before = await count(world.app, 'messages');
    const status = await post('/api/archive/messages', text);
    expect([200, 400, 413, 422]).toContain(status);
    if (status !== 200) expect(await count(world.app, 'messages')).toBe(before);
    if (status === 200) await readersStillAnswer();
  }), fuzzOptions(60));
  await readersStillAnswer();
  expectSomeStored('/api/archive/messages');
});

it('orders: never 5xx, all or nothing, readers keep answering', async () => {
  const plausible = fc.record({
    // Printable ASCII (the rule), in every case: MySQL's collation makes 'Ab' and 'aB' one order.
    order_id: fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), fc.constantFrom('FZ-CASE', 'fz-case', 'Fz-Case')),
    external_user_id: fc.constantFrom(...KNOWN),
    amount: fc.oneof(fc.constantFrom(-999_999_999_999.99, 999_999_999_999.99, 0, 0.01), fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 100)),
    paid_at: fc.oneof(fc.constantFrom(Date.UTC(1990, 0, 1), now + 86_400_000), fc.integer({ min: Date.UTC(1990, 0, 1), max: now })),
    product: fc.string({ unit: 'binary', maxLength: 100 }),
    items: fc.array(fc.record({ name: fc.string({ unit: 'binary', maxLength: 100 }), qty: fc.integer(), options: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }) }), { maxLength: 3 }),
  });
  const orders = fc.oneof(fc.array(order, { minLength: 1, maxLength: 4 }), fc.array(plausible, { minLength: 1, maxLength: 4 }));
  await fc.assert(fc.asyncProperty(body(fc.record({ orders })), async (text) => {
    const before = await count(world.app, 'orders');
    const status = await post('/api/orders', text);
    expect([200, 400, 413, 422]).toContain(status);
    if (status !== 200) expect(await count(world.app, 'orders')).toBe(before);
    if (status === 200) await readersStillAnswer();
  }), fuzzOptions(60));
  expectSomeStored('/api/orders');
});

it('customer attributes: never 5xx, all or nothing, readers keep answering', async () => {
  await fc.assert(fc.asyncProperty(body(fc.record({ customers: fc.array(attribute, { minLength: 1, maxLength: 4 }) })), async (text) => {
    const before = await count(world.app, 'customer_attributes');
    const status = await post('/api/customers/attributes', text);
    expect([200, 400, 413, 422]).toContain(status);
    if (status !== 200) expect(await count(world.app, 'customer_attributes')).toBe(before);
    if (status === 200) await readersStillAnswer();
  }), fuzzOptions(40));
  expectSomeStored('/api/customers/attributes');
});

it('CSV order import: refused whole or stored whole, and readers keep answering', async () => {
  const cell = fc.oneof(hostileString(40), fc.constantFrom(CUSTOMERS.chen, '100', '2025-03-01 10:00', '"', '""', ',', '\n'));
  const csv = fc.tuple(
    fc.constantFrom('order_id,external_user_id,amount,paid_at,items', '订单号,客户id,金额,支付时间,商品', 'order_id,amount', ''),
    fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), cell, cell, fc.oneof(cell, hostileTime(now).map(String)), fc.oneof(cell, nested(50).map((v) => JSON.stringify(v)))), { maxLength: 4 }),
  ).map(([header, rows]) => [header, ...rows.map(([id, ...rest]) => [`csv-${id.replace(/[",\n\r]/g, '')}`, ...rest].map((c) => /[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c).join(','))].join('\n'));
  let imported = 0;
  await fc.assert(fc.asyncProperty(csv, async (text) => {
    const before = await count(world.app, 'orders');
    const r = readOrdersCsv(text, { timezone: 'Asia/Shanghai', now });
    if (r.errors.length > 0) return;
    imported++;
    const result = await importOrders(world.app.services.db, r.orders, 'csv', now);
    expect(result).toBeDefined();
    expect(await count(world.app, 'orders')).toBeLessThanOrEqual(before + r.orders.length);
    await readersStillAnswer();
  }), fuzzOptions(40));
  expect(imported).toBeGreaterThan(0);
});
