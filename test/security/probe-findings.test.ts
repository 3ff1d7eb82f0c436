import { spawn } from 'node:child_process';
import { signToken } from '../../src/sidebar-api/signed-token';
import { ENVELOPE_MARKUP_MAX_BYTES } from '../../src/callback/envelope';
import { RATE_LIMITS } from '../../src/http/middleware/rate-limit';
import type { ContactProfileView } from '../../src/sidebar-api/types';
import { signedPost, TEST_WECOM } from '../helpers/wecom-callback';
import { CUSTOMERS, NOW, REPS } from '../sidebar/fixture';
import { bearer, count, freshIps, SECRET, securitySuite, startSecurityWorld } from './world';

jest.setTimeout(180_000);

/**
 * Each finding of the black-box probe (issue 17, "Hostile input"), attacked over HTTP against the
 * real server. Every test here failed on the code before the fix.
 */

const NOW_S = Math.floor(NOW.getTime() / 1000);
const event = (id: string) =>
  `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${NOW_S}</CreateTime>`
  + `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[edit_external_contact]]></ChangeType>`
  + `<UserID><![CDATA[lina]]></UserID><ExternalUserID><![CDATA[${id}]]></ExternalUserID></xml>`;

// Loopback is the "proxy" here, so each test can speak from its own client address.
const suite = securitySuite({ FENCUN_TRUSTED_PROXIES: '127.0.0.1' });
const freshIp = freshIps('198.51.100.');

describe('a message-archive record with msgtime 9007199254740991', () => {
  const record = (msgid: string, msgtime: number) => ({
    msgid, action: 'send', from: CUSTOMERS.chen, tolist: [REPS.lina], msgtime, msgtype: 'text', text: { content: '你好' },
  });

  it('should be refused whole, and the customer\'s profile and timeline should keep answering 200', async () => {
    const before = await count(suite.world.app, 'messages');
    for (const msgtime of [9007199254740991, NOW.getTime() + 2 * 86_400_000, Date.UTC(2009, 11, 31)]) {
      const res = await fetch(`${suite.world.url}/api/archive/messages`, {
        method: 'POST', headers: { ...bearer(), 'X-Forwarded-For': freshIp() },
        body: JSON.stringify([record(`probe-ok-${msgtime}`, NOW.getTime() - 60_000), record(`probe-bad-${msgtime}`, msgtime)]),
      });
      expect(res.status).toBe(422);
      const body = await res.json();
      expect(body.errors).toEqual([expect.objectContaining({ index: 1, field: 'msgtime' })]);
    }
    expect(await count(suite.world.app, 'messages')).toBe(before);
    const lina = await suite.world.as(REPS.lina);
    expect((await lina.json<ContactProfileView>('GET', `/sidebar/api/contacts/${CUSTOMERS.chen}`)).status).toBe(200);
    expect((await lina.json('GET', `/sidebar/api/contacts/${CUSTOMERS.chen}/timeline`)).status).toBe(200);
  });

  it('should still accept a message from now, which the profile then shows without error', async () => {
    const res = await fetch(`${suite.world.url}/api/archive/messages`, {
      method: 'POST', headers: { ...bearer(), 'X-Forwarded-For': freshIp() },
      body: JSON.stringify([record('probe-now', NOW.getTime())]),
    });
    expect(res.status).toBe(200);
    const lina = await suite.world.as(REPS.lina);
    const timeline = await lina.json<{ items: { text?: string }[] }>('GET', `/sidebar/api/contacts/${CUSTOMERS.chen}/timeline`);
    expect(timeline.status).toBe(200);
    expect((await lina.json('GET', `/sidebar/api/contacts/${CUSTOMERS.chen}`)).status).toBe(200);
  });
});

describe('order items nested 50,000 levels deep', () => {
  const order = (items: unknown) => ({ orders: [{ order_id: `deep-${Math.random()}`, external_user_id: CUSTOMERS.chen, amount: 10, paid_at: NOW.getTime() - 1000, items }] });

  it('should answer 400 before parsing, store nothing and leave the server healthy', async () => {
    const before = await count(suite.world.app, 'orders');
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    const body = JSON.stringify(order(null)).replace('"items":null', `"items":[{"x":${deep}}]`);
    const res = await fetch(`${suite.world.url}/api/orders`, { method: 'POST', headers: { ...bearer(), 'X-Forwarded-For': freshIp() }, body });
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('JSON_TOO_DEEP');
    expect(await count(suite.world.app, 'orders')).toBe(before);
    expect((await fetch(`${suite.world.url}/healthz`)).status).toBe(200);
  });

  it('should refuse items deeper than a list of flat objects with 422, naming the field', async () => {
    const before = await count(suite.world.app, 'orders');
    const res = await fetch(`${suite.world.url}/api/orders`, {
      method: 'POST', headers: { ...bearer(), 'X-Forwarded-For': freshIp() }, body: JSON.stringify(order([{ a: { b: { c: { d: 1 } } } }])),
    });
    expect(res.status).toBe(422);
    expect((await res.json()).errors).toEqual([expect.objectContaining({ index: 0, column: 'items' })]);
    expect(await count(suite.world.app, 'orders')).toBe(before);
  });
});

describe('callback bodies checked before parsing', () => {
  const zeroSig = `/wecom/callback?msg_signature=${'0'.repeat(40)}&timestamp=${NOW_S}&nonce=1`;

  it('should check the signature on the Encrypt value before the XML parser ever sees the body', async () => {
    // Malformed XML around a base64 Encrypt: the old code parsed first and answered malformed_xml.
    const res = await fetch(suite.world.url + zeroSig, {
      method: 'POST', headers: { 'X-Forwarded-For': freshIp() }, body: '<xml><Encrypt>QUJDRA==</Encrypt><A><B></A></xml>',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe('refused: bad_signature');
  });

  it('should refuse 240 KB of nested elements as too large an envelope, without parsing it', async () => {
    const nested = '<a>'.repeat(20_000) + '</a>'.repeat(20_000);
    const body = `<xml><Encrypt>QUJDRA==</Encrypt>${nested}</xml>`;
    expect(body.length).toBeGreaterThan(ENVELOPE_MARKUP_MAX_BYTES * 50);
    const res = await fetch(suite.world.url + zeroSig, { method: 'POST', headers: { 'X-Forwarded-For': freshIp() }, body });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('refused: too_large');
  });

  it('should answer 429 with Retry-After once a source has been refused too often, and still take WeCom\'s signed callbacks', async () => {
    const attacker = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMITS.callbackRefusals + 3; i++) {
      const res = await fetch(suite.world.url + zeroSig, { method: 'POST', headers: { 'X-Forwarded-For': attacker }, body: '<xml><Encrypt>QUJDRA==</Encrypt></xml>' });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      }
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, RATE_LIMITS.callbackRefusals)).toEqual(Array(RATE_LIMITS.callbackRefusals).fill(403));
    expect(statuses.slice(RATE_LIMITS.callbackRefusals)).toEqual([429, 429, 429]);
    const cb = signedPost(event('wmProbeRateLimit01'), { timestamp: NOW_S });
    const ok = await fetch(suite.world.url + cb.path, { method: 'POST', headers: { 'X-Forwarded-For': freshIp() }, body: cb.body });
    expect(ok.status).toBe(200);
  });

  it('should keep /healthz fast while six connections send 240 KB nested bodies with a zero signature', async () => {
    // The attackers run in a process of their own, so their work is not counted against the server.
    const attack = spawn(process.execPath, ['-e', ATTACKER], {
      env: { ...process.env, TARGET: suite.world.url + zeroSig, NESTED: '20000' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      attack.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      await new Promise<void>((resolve, reject) => {
        attack.stdout.on('data', () => { if (out.includes('attacking')) resolve(); });
        attack.once('exit', (code) => reject(new Error(`attacker exited with ${code}: ${out}`)));
      });
      const latencies: number[] = [];
      for (let i = 0; i < 40; i++) {
        const t = performance.now();
        const res = await fetch(`${suite.world.url}/healthz`);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
      }
      const statuses = await new Promise<string>((resolve) => {
        attack.stdout.on('data', () => { if (out.includes('done')) resolve(out); });
        attack.kill('SIGTERM');
      });
      const counts = JSON.parse(statuses.slice(statuses.indexOf('{'), statuses.lastIndexOf('}') + 1)) as Record<string, number>;
      latencies.sort((a, b) => a - b);
      const median = latencies[Math.floor(latencies.length / 2)];
      console.log(`healthz under attack: median ${median.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms; attacker answers ${JSON.stringify(counts)}`);
      expect(Object.keys(counts).every((st) => st === '413' || st === '429')).toBe(true);
      // The probe measured about 1 s with the parser in the way; the bound leaves a loaded machine room.
      expect(median).toBeLessThan(250);
    } finally {
      if (attack.exitCode === null) attack.kill('SIGKILL');
    }
  });
});

/** Six keep-alive loops posting 240 KB of nested elements; prints answer counts on SIGTERM. */
const ATTACKER = String.raw`
const body = '<xml><Encrypt>QUJDRA==</Encrypt>' + '<a>'.repeat(+process.env.NESTED) + '</a>'.repeat(+process.env.NESTED) + '</xml>';
const counts = {}; let stop = false; let announced = false;
process.on('SIGTERM', () => { stop = true; });
const loop = async (i) => { while (!stop) {
  const res = await fetch(process.env.TARGET, { method: 'POST', headers: { 'X-Forwarded-For': '198.51.200.' + i }, body });
  await res.arrayBuffer(); counts[res.status] = (counts[res.status] || 0) + 1;
  if (!announced) { announced = true; process.stdout.write('attacking\n'); }
} };
Promise.all([0, 1, 2, 3, 4, 5].map(loop)).then(() => { process.stdout.write(JSON.stringify(counts) + '\ndone\n'); process.exit(0); });
`;

describe('a demo session presented to a production instance that shares the secret', () => {
  it('should be refused (401), as should a session minted for another corp', async () => {
    const demo = await startSecurityWorld({ FENCUN_DEMO: '1' });
    try {
      const c = demo.client();
      const login = await c.json('POST', '/sidebar/api/demo/login', { userId: REPS.lina });
      expect(login.status).toBe(200);
      // The demo instance itself accepts it.
      expect((await c.json('GET', '/sidebar/api/session')).body).toMatchObject({ userId: REPS.lina, demo: true });
      const prod = suite.world.client();
      prod.cookies.set('fc_sidebar', c.cookies.get('fc_sidebar')!);
      const res = await prod.json('GET', '/sidebar/api/session');
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'SESSION_REQUIRED', details: { reason: 'invalid' } });
    } finally {
      await demo.stop();
    }
    const exp = NOW.getTime() + 3_600_000;
    const other = suite.world.client();
    other.cookies.set('fc_sidebar', signToken(SECRET, 'session', { u: REPS.lina, iat: NOW.getTime(), exp, c: 'ww0000000000000000' }));
    expect((await other.json('GET', '/sidebar/api/session')).status).toBe(401);
    const unbound = suite.world.client();
    unbound.cookies.set('fc_sidebar', signToken(SECRET, 'session', { u: REPS.lina, iat: NOW.getTime(), exp }));
    expect((await unbound.json('GET', '/sidebar/api/session')).status).toBe(401);
    const bound = suite.world.client();
    bound.cookies.set('fc_sidebar', signToken(SECRET, 'session', { u: REPS.lina, iat: NOW.getTime(), exp, c: TEST_WECOM.corpId }));
    expect((await bound.json('GET', '/sidebar/api/session')).status).toBe(200);
  });
});

describe('body-less sidebar POSTs sent cross-site', () => {
  it('should refuse a foreign Origin or Sec-Fetch-Site with 403 and leave the reminder open', async () => {
    const lina = await suite.world.as(REPS.lina);
    const open = () => suite.world.app.services.reminders.openFor(CUSTOMERS.chen, [REPS.lina]);
    const [reminder] = await open();
    expect(reminder).toBeDefined();
    const rid = reminder.id;
    const path = `/sidebar/api/contacts/${CUSTOMERS.chen}/reminders/${rid}/done`;
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    for (const headers of [
      { ...form, Origin: 'https://evil.example' },
      { ...form, Origin: 'null' },
      { ...form, 'Sec-Fetch-Site': 'cross-site' },
      { ...form, 'Sec-Fetch-Site': 'same-site', Origin: suite.world.url },
    ]) {
      const res = await lina.request('POST', path, undefined, headers);
      expect(res.status).toBe(403);
      expect((await res.json()).code).toBe('CROSS_SITE');
    }
    expect((await open()).map((r) => r.id)).toContain(rid);
    // The page itself (same origin) may.
    const own = await lina.request('POST', path, undefined, { Origin: suite.world.url, 'Sec-Fetch-Site': 'same-origin' });
    expect(own.status).toBe(200);
    expect((await open()).map((r) => r.id)).not.toContain(rid);
  });
});

describe('framing', () => {
  it('should let only the page itself and WeCom frame the sidebar, and nobody frame anything else', async () => {
    const lina = await suite.world.as(REPS.lina);
    const page = await lina.request('GET', '/sidebar/');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/frame-ancestors 'self' https:\/\/work\.weixin\.qq\.com https:\/\/\*\.work\.weixin\.qq\.com(;|$)/);
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    for (const path of ['/sidebar/api/session', '/healthz', '/sidebar/auth/callback?state=x&code=y']) {
      const res = await lina.request('GET', path);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const c = res.headers.get('content-security-policy');
      if (c) expect(c).toMatch(/frame-ancestors 'none'/);
    }
  });
});

describe('OAuth state', () => {
  it('should be single-use: 100 replays of one callback make one auth/getuserinfo call', async () => {
    const c = suite.world.client();
    const start = await c.request('GET', '/sidebar/auth/start');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const oauthCookie = c.cookies.get('fc_sidebar_oauth')!;
    const code = suite.world.sim.admin.issueOAuthCode({ userId: REPS.lina });
    const before = suite.world.sim.admin.calls().counts['auth/getuserinfo'] ?? 0;
    const first = await c.request('GET', `/sidebar/auth/callback?code=${code}&state=${state}`);
    expect(first.status).toBe(302);
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${suite.world.url}/sidebar/auth/callback?code=${code}&state=${state}`, {
        redirect: 'manual', headers: { Cookie: `fc_sidebar_oauth=${oauthCookie}`, 'X-Forwarded-For': `203.0.113.${i % 100}` },
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(new Set(statuses)).toEqual(new Set([400]));
    expect((suite.world.sim.admin.calls().counts['auth/getuserinfo'] ?? 0) - before).toBe(1);
  });

  it('should answer an invalid code with 400, not 502', async () => {
    const c = suite.world.client();
    const start = await c.request('GET', '/sidebar/auth/start');
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const res = await c.request('GET', `/sidebar/auth/callback?code=not-a-code&state=${state}`);
    expect(res.status).toBe(400);
    expect(c.cookies.has('fc_sidebar')).toBe(false);
  });
});

describe('rate limits', () => {
  it('should answer 429 with Retry-After to forged cookies on the sidebar API after the failure budget', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMITS.authFailures + 2; i++) {
      const res = await fetch(`${suite.world.url}/sidebar/api/session`, { headers: { Cookie: `fc_sidebar=forged${i}.x`, 'X-Forwarded-For': ip } });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, RATE_LIMITS.authFailures)).toEqual(Array(RATE_LIMITS.authFailures).fill(401));
    expect(statuses.slice(RATE_LIMITS.authFailures)).toEqual([429, 429]);
  });

  it('should answer 429 to wrong API tokens on the machine APIs after the failure budget, and not to another client', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMITS.authFailures + 1; i++) {
      const res = await fetch(`${suite.world.url}/api/archive/status`, { headers: { ...bearer(`wrong-token-${i}-0123456789`), 'X-Forwarded-For': ip } });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses.at(-2)).toBe(401);
    expect(statuses.at(-1)).toBe(429);
    // The right token from the same address is blocked too (the address is what is throttled)…
    expect((await fetch(`${suite.world.url}/api/archive/status`, { headers: { ...bearer(), 'X-Forwarded-For': ip } })).status).toBe(429);
    // …and from another address it is served.
    expect((await fetch(`${suite.world.url}/api/archive/status`, { headers: { ...bearer(), 'X-Forwarded-For': freshIp() } })).status).toBe(200);
  });

  it('should answer 429 to an authenticated burst past the per-session budget', async () => {
    const lina = await suite.world.as(REPS.lina);
    let first429 = -1;
    for (let i = 0; i < RATE_LIMITS.sessionRequests + 5 && first429 < 0; i++) {
      const res = await lina.request('GET', '/sidebar/api/session', undefined, { 'X-Forwarded-For': freshIp() });
      if (res.status === 429) {
        first429 = i;
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      } else expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // Each sign-in is its own session (own cookie), so the budget is exactly this session's.
    expect(first429).toBe(RATE_LIMITS.sessionRequests);
  });
});

describe('X-Forwarded-For from anyone', () => {
  it('should not let a client pick its own address unless the peer is a configured proxy', async () => {
    const untrusting = await startSecurityWorld({ FENCUN_TRUSTED_PROXIES: '10.9.9.9' }, { seed: false });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < RATE_LIMITS.authFailures + 1; i++) {
        // A new forged address each time: were it believed, no address would ever reach its budget.
        const res = await fetch(`${untrusting.url}/api/archive/status`, { headers: { ...bearer('wrong-token-0123456789'), 'X-Forwarded-For': `192.0.2.${i}` } });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses.at(-1)).toBe(429);
      const refused = untrusting.app.logs.find('data API refused');
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((l) => l.ip === '127.0.0.1')).toBe(true);
    } finally {
      await untrusting.stop();
    }
  });
});

describe('lenient base64url decoding', () => {
  it('should accept exactly one spelling of a session cookie', async () => {
    const lina = await suite.world.as(REPS.lina);
    const cookie = lina.cookies.get('fc_sidebar')!;
    const [body, mac] = cookie.split('.');
    expect((await lina.json('GET', '/sidebar/api/session')).status).toBe(200);
    const flip = (ch: string) => {
      // Same 6-bit group's high bits, different unused low bits: decodes to the same bytes leniently.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const i = alphabet.indexOf(ch);
      return alphabet[(i & ~0b11) | ((i + 1) & 0b11)];
    };
    const variants = [
      `${body}.${mac}=`,
      `${body}.${mac.slice(0, -1)}${flip(mac.at(-1)!)}`,
      `${body}.${mac}.`,
      `${body}=.${mac}`,
      `${body}.${mac.slice(0, 10)}+${mac.slice(11)}`,
    ];
    for (const v of variants) {
      const c = suite.world.client();
      c.cookies.set('fc_sidebar', v);
      const res = await c.request('GET', '/sidebar/api/session', undefined, { 'X-Forwarded-For': freshIp() });
      expect({ v, status: res.status }).toEqual({ v, status: 401 });
    }
  });
});

describe('found by the fuzzer (test/fuzz/data-api.test.ts, on MariaDB)', () => {
  const post = (orders: unknown[]) => fetch(`${suite.world.url}/api/orders`, {
    method: 'POST', headers: { ...bearer(), 'X-Forwarded-For': freshIp() }, body: JSON.stringify({ orders }),
  });
  const order = (order_id: string) => ({ order_id, external_user_id: CUSTOMERS.chen, amount: 5, paid_at: NOW.getTime() - 1000 });

  it('should refuse order ids the database collation cannot tell apart, instead of a 500', async () => {
    // utf8mb4_unicode_ci weighs all astral characters alike: these two were one key to MariaDB.
    const astral = await post([order('\u{2A5D2}\u{828B2}'), order('\u{6A0F6}\u{AC416}')]);
    expect(astral.status).toBe(422);
    expect((await astral.json()).errors[0]).toMatchObject({ column: 'order_id' });
    const cased = await post([order('FZ-CASE-1'), order('fz-case-1')]);
    expect(cased.status).toBe(422);
    expect((await cased.json()).errors).toEqual([expect.objectContaining({ index: 1, column: 'order_id' })]);
  });

  it('should take an id again in another case without a 500 on either database', async () => {
    expect((await post([order('CASE-AGAIN-1')])).status).toBe(200);
    const again = await post([order('case-again-1')]);
    expect(again.status).toBe(200);
  });
});

describe('found by the fuzzer (test/fuzz/callback.test.ts)', () => {
  it('should keep the profile and timeline answering after signed events with an absurd CreateTime', async () => {
    const lina = await suite.world.as(REPS.lina);
    for (const createTime of ['9007199254740991', '1e20', '99999999999']) {
      const cb = signedPost(
        `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[lina]]></FromUserName><CreateTime>${createTime}</CreateTime>`
        + `<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>${createTime.length}0042</MsgId><AgentID>1000002</AgentID></xml>`,
        { timestamp: NOW_S });
      const res = await fetch(suite.world.url + cb.path, { method: 'POST', headers: { 'X-Forwarded-For': freshIp() }, body: cb.body });
      // Before: 200 then a profile answering 500 for good (and 503 on MariaDB for 1e20, retried by WeCom forever).
      expect(res.status).toBe(200);
      const edit = signedPost(event(CUSTOMERS.chen).replace(`<CreateTime>${NOW_S}</CreateTime>`, `<CreateTime>${createTime}</CreateTime>`), { timestamp: NOW_S });
      expect((await fetch(suite.world.url + edit.path, { method: 'POST', headers: { 'X-Forwarded-For': freshIp() }, body: edit.body })).status).toBe(200);
      await suite.world.app.services.processor.drain();
      expect((await lina.json('GET', `/sidebar/api/contacts/${CUSTOMERS.chen}`)).status).toBe(200);
      expect((await lina.json('GET', `/sidebar/api/contacts/${CUSTOMERS.chen}/timeline`)).status).toBe(200);
    }
    const [stuck] = await suite.world.app.services.db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM inbox_events WHERE status <> 'done'");
    expect(Number(stuck.n)).toBe(0);
  });
});
