import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixedClock } from '../../src/clock';
import { startTestApp, TestApp } from '../helpers/app';
import { runDataCli } from '../data/world';

/**
 * Birthdays and anniversaries (WeCom has no such field) through the data API and the CSV import:
 * idempotent (the same batch twice stores nothing new), a field left out is kept, and a bad
 * batch is refused whole with a sentence per problem — a 4xx, never a 500, nothing half-written.
 */

const NOW = new Date('2026-11-20T09:00:00+08:00');
const TOKEN = 'attributes-token-0123456789abcdef';

describe('customer attributes', () => {
  let app: TestApp;
  let dir: string;
  beforeAll(async () => {
    app = await startTestApp({ clock: fixedClock(NOW), env: { FENCUN_API_TOKEN: TOKEN } });
    dir = mkdtempSync(path.join(tmpdir(), 'fencun-attributes-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await app?.stop();
  });

  const post = async (body: unknown) => {
    const res = await fetch(`${app.url}/api/customers/attributes`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const stored = () => app.services.db.query<Record<string, unknown>>(
    'SELECT external_user_id, birthday_month, birthday_day, birthday_year, anniversary, source FROM customer_attributes ORDER BY external_user_id')
    .then((rows) => rows.map((r): Record<string, unknown> => ({ ...r, birthday_month: r.birthday_month === null ? null : Number(r.birthday_month),
      birthday_day: r.birthday_day === null ? null : Number(r.birthday_day), birthday_year: r.birthday_year === null ? null : Number(r.birthday_year) })));

  it('should store a batch once, keep fields left out, and clear a field sent as null', async () => {
    const batch = { customers: [{ external_user_id: 'wmA', birthday: '1990-05-03', anniversary: '2019-06-01' }, { external_user_id: 'wmB', birthday: '02-29' }] };
    expect(await post(batch)).toEqual({ status: 200, body: { received: 2, created: 2, updated: 0, unchanged: 0 } });
    expect(await post(batch)).toEqual({ status: 200, body: { received: 2, created: 0, updated: 0, unchanged: 2 } });
    expect(await post({ customers: [{ external_user_id: 'wmA', anniversary: null }, { external_user_id: 'wmB', anniversary: '2024/2/29' }] }))
      .toEqual({ status: 200, body: { received: 2, created: 0, updated: 2, unchanged: 0 } });
    expect(await stored()).toEqual([
      { external_user_id: 'wmA', birthday_month: 5, birthday_day: 3, birthday_year: 1990, anniversary: null, source: 'api' },
      { external_user_id: 'wmB', birthday_month: 2, birthday_day: 29, birthday_year: null, anniversary: '2024-02-29', source: 'api' },
    ]);
  });

  it('should refuse a batch with any bad record whole, naming each problem', async () => {
    const before = await stored();
    const r = await post({ customers: [
      { external_user_id: 'wmC', birthday: '1990-02-30' },
      { external_user_id: 'wmD', anniversary: '2027-01-01' },
      { external_user_id: 'wmE', birthday: '1990-01-01', phone: '138' },
      { external_user_id: 'wmF' },
      { external_user_id: 'wmA', birthday: '05-03' },
    ] });
    expect(r.status).toBe(422);
    expect(r.body.message).toBe('4 of 5 customers are invalid; nothing was stored');
    expect(r.body.errors).toEqual([
      { index: 0, field: 'birthday', reason: '"1990-02-30" is not a calendar date: send a date such as 1990-05-03, or 05-03 without the year' },
      { index: 1, field: 'anniversary', reason: '"2027-01-01" is in the future; send a date that has happened' },
      { index: 2, field: '(record)', reason: 'has unknown field(s) phone; send external_user_id, birthday, anniversary' },
      { index: 3, field: '(record)', reason: 'has neither a birthday nor an anniversary: send at least one (null clears a stored one)' },
    ]);
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['not JSON', '{"customers": [', 400, 'the request body is not valid JSON'],
    ['no list', { people: [] }, 400, /^send \{ "customers": \[/],
    ['an empty list', { customers: [] }, 400, /customers must hold at least one customer/],
  ])('should answer %s with a 4xx and a sentence', async (_, body, status, message) => {
    const r = await post(body);
    expect(r.status).toBe(status);
    expect(r.body.message).toMatch(message);
  });

  it('should import a CSV with Chinese headers, idempotently, and refuse a bad file whole', async () => {
    const file = path.join(dir, 'birthdays.csv');
    writeFileSync(file, '\ufeff客户id,生日,纪念日\nwmG,1988-12-01,\nwmA,,2020-10-10\n');
    const now = ['--now', NOW.toISOString()];
    const first = await runDataCli(app.database.url, ['customers', 'import', file, ...now]);
    expect(first.error).toBeNull();
    expect(first.out).toBe(`Imported ${file}: 1 created, 1 updated, 0 unchanged\n`);
    const again = await runDataCli(app.database.url, ['customers', 'import', file, ...now]);
    expect(again.out).toBe(`Imported ${file}: 0 created, 0 updated, 2 unchanged\n`);
    // The empty birthday cell kept wmA's stored birthday.
    expect((await stored()).find((r) => r.external_user_id === 'wmA')).toMatchObject({ birthday_month: 5, birthday_day: 3, anniversary: '2020-10-10', source: 'csv' });

    writeFileSync(file, 'external_user_id,birthday\nwmH,1990-13-01\n,05-03\nwmI,05-04\n');
    const bad = await runDataCli(app.database.url, ['customers', 'import', file, ...now]);
    expect(bad.error?.message).toBe('2 row(s) have problems; nothing was imported');
    expect(bad.err).toContain('line 2, column birthday: "1990-13-01" is not a calendar date');
    expect(bad.err).toContain('line 3, column external_user_id: is missing');
    expect((await stored()).map((r) => r.external_user_id)).not.toContain('wmI');
  });
});
