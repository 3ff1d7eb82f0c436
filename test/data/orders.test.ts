import path from 'node:path';
import { activateFollow, upsertContact } from '../../src/contacts/repository';
import { parseCsv, CsvSyntaxError } from '../../src/orders/csv';
import { findOrder, findOrderFacts, linkOrphanOrders } from '../../src/orders/repository';
import { importOrders } from '../../src/orders/service';
import { parseAmount, parseInstant } from '../../src/orders/validate';
import { startTestApp, TestApp } from '../helpers/app';
import { API_TOKEN, api, runDataCli, serveDataApi } from './world';

const FIXTURES = path.join(__dirname, '../fixtures/data');

describe('order parsing', () => {
  it.each([
    ['1299.00', 1299],
    ['¥2,599.50', 2599.5],
    ['-100', -100],
    [88, 88],
    [0.1 + 0.2, 0.3],
  ])('should read the amount %p as %p yuan', (input, expected) => {
    expect(parseAmount(input)).toBe(expected);
  });

  it.each([['12.345', /2 decimal/], ['abc', /not an amount/], ['', /required/], [Number.NaN, /not an amount/], ['1e3', /not an amount/]])(
    'should refuse the amount %p', (input, reason) => {
      expect(parseAmount(input)).toMatch(reason);
    });

  it.each([
    ['2025-03-01 14:30:00', '2025-03-01T06:30:00.000Z'],
    ['2025-03-01 14:30', '2025-03-01T06:30:00.000Z'],
    ['2025/03/01 14:30:00', '2025-03-01T06:30:00.000Z'],
    ['2025-03-01', '2025-02-28T16:00:00.000Z'],
    ['2025-03-01T14:30:00+08:00', '2025-03-01T06:30:00.000Z'],
    ['2025-03-01T06:30:00Z', '2025-03-01T06:30:00.000Z'],
    ['1740810600', '2025-03-01T06:30:00.000Z'],
    ['1740810600000', '2025-03-01T06:30:00.000Z'],
  ])('should read the time %p in Asia/Shanghai as %p', (input, iso) => {
    expect(new Date(parseInstant(input, 'Asia/Shanghai') as number).toISOString()).toBe(iso);
  });

  it('should refuse a time it cannot read, saying what would work', () => {
    expect(parseInstant('明天', 'Asia/Shanghai')).toMatch(/is not a time; use e.g. 2025-03-01 14:30:00/);
  });

  it('should read quoted fields with commas, doubled quotes, line breaks, CRLF and a BOM', () => {
    const csv = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\r\n\r\n3,,z';
    expect(parseCsv(csv)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'x, y', 'say "hi"'] },
      { line: 3, fields: ['2', 'two\nlines', ''] },
      { line: 6, fields: ['3', '', 'z'] },
    ]);
  });

  it('should point at the line of a quote that is never closed', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(/line 2/);
  });
});

describe('order imports', () => {
  let app: TestApp;
  let apiUrl: string;
  let stopApi: () => Promise<void>;

  beforeAll(async () => {
    app = await startTestApp({ env: { FENCUN_API_TOKEN: API_TOKEN } });
    ({ url: apiUrl, stop: stopApi } = await serveDataApi(app.services));
    const db = app.services.db;
    const now = Date.now();
    await db.transaction(async (tx) => {
      await upsertContact(tx, { externalUserId: 'wmUNION2', name: '李四', type: 1, gender: 2, unionid: 'ozUNION2' }, now);
      await upsertContact(tx, { externalUserId: 'wmMOBILE3', name: '王五', type: 1, gender: 1 }, now);
      await activateFollow(tx, { userId: 'zhangsan', externalUserId: 'wmMOBILE3', remarkMobiles: ['13800000003'], tags: [] }, 'active',
        { at: now, now, cause: 'test' });
    });
  });
  afterAll(async () => {
    await stopApi?.();
    await app?.stop();
  });

  const db = () => app.services.db;
  const orderCount = async () => Number((await db().query<{ n: unknown }>('SELECT COUNT(*) AS n FROM orders'))[0].n);
  const order = (id: string, extra: Record<string, unknown> = {}) =>
    ({ order_id: id, external_user_id: 'wmAPI1', amount: 100, paid_at: '2025-03-01T10:00:00+08:00', product: '精华液', ...extra });

  it('should refuse the orders API without the token', async () => {
    expect((await api(apiUrl, 'POST', '/api/orders', { orders: [order('X-0')] }, null)).status).toBe(401);
    expect(await orderCount()).toBe(0);
  });

  it('should import orders by API once, update a changed one and leave the rest unchanged', async () => {
    const first = await api(apiUrl, 'POST', '/api/orders', { orders: [order('API-1'), order('API-2', { items: [{ name: '面霜', quantity: 1 }], product: undefined })] });
    expect(first).toMatchObject({ status: 200, body: { created: 2, updated: 0, unchanged: 0, unlinked: 0 } });
    const again = await api(apiUrl, 'POST', '/api/orders', { orders: [order('API-1'), order('API-2', { amount: '90.00', items: [{ name: '面霜', quantity: 1 }], product: undefined })] });
    expect(again.body).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    expect(await findOrder(db(), 'API-2')).toMatchObject({ amount: 90, product: '面霜', items: [{ name: '面霜', quantity: 1 }], externalUserId: 'wmAPI1' });
  });

  it('should refuse a batch with any invalid order, listing each by index and field, and write nothing', async () => {
    const before = await orderCount();
    const r = await api(apiUrl, 'POST', '/api/orders', { orders: [
      order('API-3'),
      order('API-4', { amount: '1.234' }),
      { order_id: 'API-5', amount: 5, paid_at: '2025-03-01' },
      order('API-3'),
      { ...order('API-6'), color: 'red' },
    ] });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ index: 1, column: 'amount' }),
      expect.objectContaining({ index: 2, column: 'external_user_id', reason: expect.stringMatching(/one of external_user_id, unionid or mobile/) }),
      expect.objectContaining({ index: 3, column: 'order_id', reason: expect.stringMatching(/duplicates order 0/) }),
      expect.objectContaining({ index: 4 }),
    ]));
    expect(await orderCount()).toBe(before);
    expect(await findOrder(db(), 'API-3')).toBeNull();
  });

  it('should roll back the whole batch when writing fails part-way', async () => {
    const before = await orderCount();
    const circular: Record<string, unknown> = { name: 'x' };
    circular.self = circular;
    const ok = { orderId: 'TX-1', externalUserId: 'wmTX', amount: 1, paidAt: Date.now() };
    await expect(importOrders(db(), [ok, { ...ok, orderId: 'TX-2' }, { ...ok, orderId: 'TX-3', items: [circular] }], 'api', Date.now())).rejects.toThrow();
    expect(await orderCount()).toBe(before);
    expect(await findOrder(db(), 'TX-1')).toBeNull();
  });

  it('should import a CSV export, linking customers by external userid, unionid or remark mobile', async () => {
    const r = await runDataCli(app.database.url, ['orders', 'import', path.join(FIXTURES, 'orders.csv')]);
    expect(r.error).toBeNull();
    expect(r.out).toContain('5 created, 0 updated, 0 unchanged; 1 not yet linked');
    expect(await findOrder(db(), 'SO-2001')).toMatchObject({ externalUserId: 'wmORDER1', amount: 1299, paidAt: Date.parse('2025-03-01T06:30:00Z') });
    expect(await findOrder(db(), 'SO-2002')).toMatchObject({ externalUserId: 'wmUNION2', amount: 2599.5, product: '面霜, 礼盒装' });
    expect(await findOrder(db(), 'SO-2003')).toMatchObject({ externalUserId: 'wmMOBILE3', product: '面膜', items: [{ name: '面膜', quantity: 2 }] });
    expect(await findOrder(db(), 'SO-2004')).toMatchObject({ amount: -100 });
    expect((await findOrder(db(), 'SO-2005'))?.externalUserId).toBeNull();

    const again = await runDataCli(app.database.url, ['orders', 'import', path.join(FIXTURES, 'orders.csv')]);
    expect(again.out).toContain('0 created, 0 updated, 5 unchanged');

    const facts = await findOrderFacts(db(), ['wmORDER1'], 0);
    expect(facts.get('wmORDER1')?.map((o) => o.amount)).toEqual([1299, -100]);
  });

  it('should link an order once a customer with its mobile appears', async () => {
    const now = Date.now();
    await db().transaction((tx) => activateFollow(tx, { userId: 'lisi', externalUserId: 'wmLATE9', remarkMobiles: ['139-0000-0009'], tags: [] }, 'active',
      { at: now, now, cause: 'test' }));
    expect(await linkOrphanOrders(db(), now)).toBe(1);
    expect((await findOrder(db(), 'SO-2005'))?.externalUserId).toBe('wmLATE9');
  });

  it('should accept the Chinese headers shops export and ignore unknown columns', async () => {
    const r = await runDataCli(app.database.url, ['orders', 'import', path.join(FIXTURES, 'orders-zh.csv')]);
    expect(r.error).toBeNull();
    expect(r.err).toContain('ignoring unknown column(s): 备注');
    expect(await findOrder(db(), 'ZH-1')).toMatchObject({ externalUserId: 'wmMOBILE3', amount: 199, product: '洁面乳' });
  });

  it('should report every bad row by line and column, and import nothing from that file', async () => {
    const before = await orderCount();
    const r = await runDataCli(app.database.url, ['orders', 'import', path.join(FIXTURES, 'orders-bad.csv')]);
    expect(r.error?.message).toMatch(/5 row\(s\) have problems; nothing was imported/);
    expect(r.err).toContain('line 3, column external_user_id: one of external_user_id, unionid or mobile is required');
    expect(r.err).toContain('line 4, column amount: "12.345" has more than 2 decimal places');
    expect(r.err).toMatch(/line 5, column paid_at: "明天" is not a time/);
    expect(r.err).toContain('line 6, column mobile: **** is not a phone number');
    expect(r.err).toContain('line 7, column order_id: order BAD-1 already appears on line 2');
    expect(await orderCount()).toBe(before);
    expect(await findOrder(db(), 'BAD-1')).toBeNull();
  });

  it('should check a file without importing it on --dry-run, and refuse a bad --timezone', async () => {
    const before = await orderCount();
    const dry = await runDataCli(app.database.url, ['orders', 'import', '--dry-run', path.join(FIXTURES, 'orders.csv')]);
    expect(dry.out).toContain('5 orders, all valid (dry run');
    expect(await orderCount()).toBe(before);
    const tz = await runDataCli(app.database.url, ['orders', 'import', '--timezone', 'Mars/Olympus', path.join(FIXTURES, 'orders.csv')]);
    expect(tz.error?.message).toMatch(/--timezone must be an IANA time zone/);
  });
});
