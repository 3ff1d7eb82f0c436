import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { signedPost, TEST_WECOM } from '../helpers/wecom-callback';
import { CUSTOMERS, NOW, REPS } from '../sidebar/fixture';
import type { SidebarClient } from '../sidebar/http';
import { count, startSecurityWorld, type SecurityWorld } from '../security/world';
import { EDGE_STRINGS, fuzzOptions, hostileString } from './arbitraries';

jest.setTimeout(300_000);

/**
 * Property: whatever reaches /wecom/callback, the answer is 200 or a refusal (400/403/413/429),
 * never 5xx; an unsigned or altered body stores nothing; and a signed event with hostile content,
 * once processed, leaves every reader of the customer answering (never 5xx).
 */

const NOW_S = Math.floor(NOW.getTime() / 1000);
const FIXTURES = path.join(__dirname, '../fixtures/wecom-events');
const templates = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.xml')).map((f) => fs.readFileSync(path.join(FIXTURES, f), 'utf8'));
const KNOWN = [CUSTOMERS.chen, CUSTOMERS.liu, CUSTOMERS.xie];

let world: SecurityWorld;
let lina: SidebarClient;
let ip = 0;
const nextIp = () => `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip++ & 255}`;
beforeAll(async () => {
  world = await startSecurityWorld({ FENCUN_TRUSTED_PROXIES: '127.0.0.1' });
  lina = await world.as(REPS.lina);
});
afterAll(async () => {
  await world?.stop();
});

/** Percent-encodes the UTF-8 bytes of any string (encodeURIComponent throws on a lone surrogate). */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');

async function send(p: string, body: string): Promise<number> {
  const res = await fetch(world.url + p, { method: 'POST', headers: { 'Content-Type': 'text/xml', 'X-Forwarded-For': nextIp() }, body });
  await res.arrayBuffer();
  return res.status;
}

/** A template with its values swapped for hostile ones, ids mostly the fixture's customers. */
const hostileEvent = fc.record({
  template: fc.constantFrom(...templates),
  customer: fc.constantFrom(...KNOWN),
  swaps: fc.array(fc.tuple(fc.nat(), fc.oneof(hostileString(80), fc.constantFrom(...KNOWN, REPS.lina), fc.constantFrom('9007199254740991', '-1', '1e20', '99999999999', String(NOW_S), '4102444800', 'Infinity'))), { maxLength: 6 }),
  cdata: fc.boolean(),
  // Time fields get their own draw: every reader turns them into dates.
  createTime: fc.option(fc.oneof(
    fc.constantFrom('9007199254740991', '1e20', '99999999999', '-1', '0', '1.5', 'Infinity', '4102444800', String(NOW_S + 86_400)),
    fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
  ), { freq: 2 }),
}).map(({ template, customer, swaps, cdata, createTime }) => {
  const values = [...template.matchAll(/<(\w+)>(?:<!\[CDATA\[)?([^<\]]*)(?:\]\]>)?<\/\1>/g)];
  let xml = template.replace('<ToUserName><![CDATA[toUser]]></ToUserName>', `<ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName>`)
    .replace(/<CreateTime>\d+<\/CreateTime>/, `<CreateTime>${createTime ?? NOW_S}</CreateTime>`)
    .replace(/woAJ2GCAAAXtWyujaWJHDDGi0m\w+/g, customer).replace(/zhangsan/g, REPS.lina);
  for (const [at, value] of swaps) {
    if (values.length === 0) break;
    const [, tag] = values[at % values.length];
    const safe = value.replace(/]]>/g, '');
    xml = xml.replace(new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`), `<${tag}>${cdata ? `<![CDATA[${safe}]]>` : safe.replace(/[<&]/g, '')}</${tag}>`);
  }
  return xml;
});

it('unsigned, altered and junk bodies: never 5xx, nothing stored', async () => {
  const good = signedPost(templates[0].replace(/<CreateTime>\d+/, `<CreateTime>${NOW_S}`), { timestamp: NOW_S });
  const body = fc.oneof(
    // The signed request, altered at a random place.
    fc.tuple(fc.nat(), fc.nat({ max: 20 }), hostileString(20)).map(([at, del, ins]) => {
      const i = at % (good.body.length + 1);
      return good.body.slice(0, i) + ins + good.body.slice(i + del);
    }),
    hostileString(5000),
    fc.constantFrom(...EDGE_STRINGS),
    fc.integer({ min: 1, max: 30_000 }).map((n) => `<xml><Encrypt>QUJD</Encrypt>${'<a>'.repeat(n)}${'</a>'.repeat(n)}</xml>`),
    fc.integer({ min: 1, max: 300_000 }).map((n) => `<xml><Encrypt>${'A'.repeat(n * 4)}</Encrypt></xml>`),
  );
  const query = fc.oneof(
    fc.constant(good.path),
    fc.constant(good.path.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'0'.repeat(40)}`)),
    fc.constant('/wecom/callback'),
    hostileString(100).map((s) => `/wecom/callback?msg_signature=${pct(s)}&timestamp=${pct(s)}&nonce=1`),
    fc.constant(`/wecom/callback?msg_signature=a&msg_signature=b&timestamp=${NOW_S}&nonce=1`),
  );
  const before = await count(world.app, 'inbox_events');
  let stored = 0;
  await fc.assert(fc.asyncProperty(query, body, async (q, b) => {
    const status = await send(q, b);
    // 431 is Node refusing an oversized query string before Fencun sees it.
    expect([200, 400, 403, 413, 431]).toContain(status);
    // 200 only when the signed Encrypt survived the alteration untouched.
    if (status === 200) {
      expect(q).toBe(good.path);
      expect(b).toContain(`<Encrypt><![CDATA[${good.encrypt}]]></Encrypt>`);
      stored = 1;
    }
  }), fuzzOptions(150));
  expect(await count(world.app, 'inbox_events')).toBe(before + stored);
  expect((await fetch(`${world.url}/healthz`)).status).toBe(200);
});

it('signed events with hostile content: never 5xx, and once processed every reader still answers', async () => {
  const seen: Record<number, number> = {};
  await fc.assert(fc.asyncProperty(hostileEvent, async (xml) => {
    const cb = signedPost(xml, { timestamp: NOW_S });
    const status = await send(cb.path, cb.body);
    seen[status] = (seen[status] ?? 0) + 1;
    expect([200, 400, 413]).toContain(status);
    await world.app.services.processor.drain();
    for (const id of KNOWN) {
      for (const p of [`/sidebar/api/contacts/${id}`, `/sidebar/api/contacts/${id}/timeline`]) {
        const res = await lina.request('GET', p);
        expect({ p, status: res.status, ok: res.status < 500 }).toEqual({ p, status: res.status, ok: true });
        await res.arrayBuffer();
      }
    }
  }), fuzzOptions(60));
  console.log(`signed hostile events: ${JSON.stringify(seen)}`);
  expect(seen[200]).toBeGreaterThan(0);
  // Processing failures are recorded against the event (retried, then parked), never thrown out of the worker.
  const [r] = await world.app.services.db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM inbox_events WHERE status = 'processing'");
  expect(Number(r.n)).toBe(0);
});
