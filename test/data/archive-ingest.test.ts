import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveMembers } from '../../src/contacts/members';
import { findCustomerFacts } from '../../src/messages/facts';
import { startTestApp, TestApp } from '../helpers/app';
import { API_TOKEN, api, runDataCli, serveDataApi } from './world';

/** 会话存档 ingest: POST /api/archive/messages and `npx fencun archive import`. */
describe('archive ingest', () => {
  let app: TestApp;
  let apiUrl: string;
  let stopApi: () => Promise<void>;
  const T0 = Date.parse('2025-03-03T02:00:00Z');

  beforeAll(async () => {
    app = await startTestApp({ env: { FENCUN_API_TOKEN: API_TOKEN } });
    ({ url: apiUrl, stop: stopApi } = await serveDataApi(app.services));
    await saveMembers(app.services.db, [
      { userId: 'zhangsan', name: '张三', departmentIds: [1], isLeader: false, directLeaders: [] },
    ], new Map(), null, T0);
  });
  afterAll(async () => {
    await stopApi?.();
    await app?.stop();
  });

  const db = () => app.services.db;
  const rec = (msgid: string, from: string, to: string, minutes: number, text = '你好') => ({
    msgid, action: 'send', from, tolist: [to], roomid: '', msgtime: T0 + minutes * 60_000, msgtype: 'text', text: { content: text },
  });
  const count = async (where = '1=1', params: unknown[] = []) =>
    Number((await db().query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM messages WHERE ${where}`, params))[0].n);

  it('should refuse calls without the right bearer token, with a log line', async () => {
    const body = { messages: [rec('m0', 'wmCUST0', 'zhangsan', 0)] };
    expect((await api(apiUrl, 'POST', '/api/archive/messages', body, null)).status).toBe(401);
    expect((await api(apiUrl, 'POST', '/api/archive/messages', body, 'wrong-token-0123456789')).status).toBe(401);
    expect(app.logs.find('data API refused').map((l) => l.reason)).toEqual(expect.arrayContaining(['missing_token', 'bad_token']));
    expect(await count()).toBe(0);
  });

  it('should refuse every call when no API token is configured', async () => {
    const closed = await serveDataApi(app.services, { apiToken: '' });
    try {
      const r = await api(closed.url, 'POST', '/api/archive/messages', { messages: [] }, API_TOKEN);
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('UNAUTHORIZED');
      expect(app.logs.find('data API refused').map((l) => l.reason)).toContain('not_configured');
    } finally {
      await closed.stop();
    }
  });

  it('should store a batch once, whichever way round the messages go, and keep the customer\'s facts', async () => {
    const batch = [
      rec('a1', 'wmCUST1', 'zhangsan', 0, '在吗'),
      rec('a2', 'wmCUST1', 'zhangsan', 1, '想问下价格'),
      rec('a3', 'zhangsan', 'wmCUST1', 10, '您好，在的'),
      rec('a4', 'wmCUST1', 'zhangsan', 30, '好的谢谢'),
      { msgid: 'a5', action: 'switch', time: T0, user: 'zhangsan', msgtime: T0 + 1 },
    ];
    const first = await api(apiUrl, 'POST', '/api/archive/messages', batch);
    expect(first).toMatchObject({ status: 200, body: { received: 5, stored: 4, duplicates: 0, ignored: 1 } });
    const again = await api(apiUrl, 'POST', '/api/archive/messages', { messages: batch });
    expect(again.body).toMatchObject({ stored: 0, duplicates: 4 });
    expect(await count(`channel = 'archive'`)).toBe(4);

    const [inbound] = await db().query<Record<string, unknown>>(`SELECT * FROM messages WHERE msgid = 'archive:a1'`);
    expect(inbound).toMatchObject({ direction: 'in', external_user_id: 'wmCUST1', user_id: 'zhangsan', text: '在吗' });
    const [outbound] = await db().query<Record<string, unknown>>(`SELECT * FROM messages WHERE msgid = 'archive:a3'`);
    expect(outbound).toMatchObject({ direction: 'out', external_user_id: 'wmCUST1', user_id: 'zhangsan' });

    const facts = (await findCustomerFacts(db(), ['wmCUST1'])).get('wmCUST1')!;
    expect(facts).toMatchObject({
      inboundCount: 3, outboundCount: 1, conversations: 2, answeredConversations: 1, replyRatio: 0.5,
      lastInboundAt: new Date(T0 + 30 * 60_000), lastOutboundAt: new Date(T0 + 10 * 60_000), unansweredSince: new Date(T0 + 30 * 60_000),
    });
  });

  it('should recount the facts when an older message arrives late', async () => {
    // A reply between the first two messages: the conversation that started at 0 is answered at 0.5.
    await api(apiUrl, 'POST', '/api/archive/messages', [rec('late1', 'zhangsan', 'wmCUST1', 0.5, '稍等')]);
    const facts = (await findCustomerFacts(db(), ['wmCUST1'])).get('wmCUST1')!;
    expect(facts).toMatchObject({ inboundCount: 3, outboundCount: 2, conversations: 3, answeredConversations: 2, unansweredSince: new Date(T0 + 30 * 60_000) });
  });

  it('should refuse a batch with an invalid record whole, listing every problem, and store nothing', async () => {
    const before = await count();
    const r = await api(apiUrl, 'POST', '/api/archive/messages', [
      rec('ok1', 'wmCUST2', 'zhangsan', 40),
      { msgid: 'bad1', action: 'send', from: 'wmCUST2', tolist: ['zhangsan'], msgtime: 1741000000, msgtype: 'text', text: { content: 'x' } },
      { action: 'send', from: 'wmCUST2', tolist: ['zhangsan'], msgtime: T0, msgtype: 'text' },
    ]);
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('INVALID_RECORDS');
    expect(r.body.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ index: 1, msgid: 'bad1', field: 'msgtime' }),
      expect.objectContaining({ index: 2, field: 'msgid' }),
      expect.objectContaining({ index: 2, field: 'text.content' }),
    ]));
    expect(await count()).toBe(before);
  });

  it('should refuse batches over 1000 records and bodies that are not JSON', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => rec(`big${i}`, 'wmCUST3', 'zhangsan', i));
    expect((await api(apiUrl, 'POST', '/api/archive/messages', many)).status).toBe(400);
    expect((await api(apiUrl, 'POST', '/api/archive/messages', '{not json')).body.code).toBe('BAD_JSON');
  });

  it('should keep the highest SDK seq for the puller to resume from', async () => {
    await api(apiUrl, 'POST', '/api/archive/messages', [{ ...rec('s1', 'wmCUST4', 'zhangsan', 50), seq: 196 }, { ...rec('s2', 'wmCUST4', 'zhangsan', 51), seq: 197 }]);
    await api(apiUrl, 'POST', '/api/archive/messages', [{ ...rec('s1', 'wmCUST4', 'zhangsan', 50), seq: 196 }]);
    expect((await api(apiUrl, 'GET', '/api/archive/status')).body.seq).toBe(197);
  });

  describe('npx fencun archive import', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fencun-archive-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    const write = (name: string, lines: unknown[]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
      return file;
    };

    it('should import a JSONL file in batches and store nothing twice when run again', async () => {
      const file = write('ok.jsonl', Array.from({ length: 1203 }, (_, i) => rec(`cli${i}`, i % 2 ? 'zhangsan' : 'wmCLI', i % 2 ? 'wmCLI' : 'zhangsan', 100 + i)));
      const first = await runDataCli(app.database.url, ['archive', 'import', file]);
      expect(first.error).toBeNull();
      expect(first.out).toContain('1203 stored');
      const second = await runDataCli(app.database.url, ['archive', 'import', file]);
      expect(second.out).toContain('0 stored, 1203 already present');
      expect(await count(`msgid LIKE 'archive:cli%'`)).toBe(1203);
    });

    it('should report bad lines by number and import nothing', async () => {
      const file = write('bad.jsonl', [rec('x1', 'wmX', 'zhangsan', 1), '{"msgid": "x2", oops', rec('x3', 'wmX', 'zhangsan', 2), { msgid: 'x4', action: 'send' }]);
      const r = await runDataCli(app.database.url, ['archive', 'import', file]);
      expect(r.error?.message).toMatch(/2 of 4 lines are invalid; nothing was imported/);
      expect(r.err).toContain('line 2: (line) is not valid JSON');
      expect(r.err).toMatch(/line 4: msgtime/);
      expect(await count(`msgid LIKE 'archive:x%'`)).toBe(0);
    });

    it('should say clearly when the file does not exist', async () => {
      const r = await runDataCli(app.database.url, ['archive', 'import', path.join(dir, 'missing.jsonl')]);
      expect(r.error?.message).toMatch(/no such file/);
    });
  });
});
