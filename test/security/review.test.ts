import fs from 'node:fs';
import path from 'node:path';
import { createHttpApp } from '../../src/http/server';
import { signedPost, TEST_WECOM } from '../helpers/wecom-callback';
import { CUSTOMERS, NOW, REPS } from '../sidebar/fixture';
import { API_TOKEN, bearer, count, freshIps, SECRET, securitySuite, startSecurityWorld, type SecurityWorld } from './world';

jest.setTimeout(180_000);

/** Issue 17, "Security review, each point a test": over HTTP against the real server. */

const suite = securitySuite({ FENCUN_TRUSTED_PROXIES: '127.0.0.1' });
const freshIp = freshIps('198.18.0.');

type Guard = 'public' | 'signature' | 'token' | 'session' | 'page' | 'oauth-callback';

/**
 * How every route is meant to be guarded. A route missing here fails the first test: a new
 * route must say how it is authenticated before it ships.
 */
const GUARDS: [RegExp, Guard][] = [
  [/^GET \/(healthz|readyz|metrics)$/, 'public'],
  [/^(GET|POST) \/wecom\/callback$/, 'signature'],
  [/^(GET|POST|PATCH|DELETE) \/api\//, 'token'],
  [/^(GET|POST|DELETE) \/sidebar\/api\//, 'session'],
  [/^GET \/digest\/api\//, 'session'],
  [/^GET \/(sidebar|digest)\/?$/, 'page'],
  [/^GET \/sidebar\/index\.html$/, 'page'],
  [/^GET \/sidebar\/assets\/:file$/, 'public'],
  // The console's page and assets hold no data: every figure comes from /admin/api, which asks for a session.
  [/^GET \/admin\/console(\/|\/assets\/:file)?$/, 'public'],
  [/^GET \/(sidebar|digest)\/auth\/start$/, 'public'],
  [/^GET \/(sidebar|digest)\/auth\/callback$/, 'oauth-callback'],
];

function routesOf(w: SecurityWorld): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  for (const mw of createHttpApp(w.app.services).middleware as { router?: { stack: { methods: string[]; path: string }[] } }[]) {
    for (const layer of mw.router?.stack ?? []) {
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) out.push({ method, path: layer.path });
    }
  }
  return out;
}

describe('every route is authenticated as it should be', () => {
  it('should refuse each guarded route without credentials, with a wrong token and with a forged cookie', async () => {
    const routes = routesOf(suite.world);
    expect(routes.length).toBeGreaterThan(30);
    const unclassified = routes.filter((r) => !GUARDS.some(([re]) => re.test(`${r.method} ${r.path}`)));
    expect(unclassified).toEqual([]);
    // Demo routes are not mounted in production.
    expect(routes.filter((r) => r.path.includes('/demo/'))).toEqual([]);
    const answers: string[] = [];
    for (const r of routes) {
      const guard = GUARDS.find(([re]) => re.test(`${r.method} ${r.path}`))![1];
      // Real verbs for :action, so the guard is reached rather than the 404 for an unknown verb.
      const url = suite.world.url + r.path.replace(':action', r.path.includes('complaints') ? 'confirm' : 'done').replace(/:(\w+)/g, 'x1');
      for (const credentials of [{}, bearer('wrong-token-0123456789abcdef'), { Cookie: 'fc_sidebar=eyJ1IjoibGluYSJ9.AAAA; fc_digest=eyJ1IjoibGluYSJ9.AAAA' }]) {
        const res = await fetch(url, {
          method: r.method, redirect: 'manual', headers: { 'X-Forwarded-For': freshIp(), 'Content-Type': 'application/json', ...credentials },
          body: r.method === 'POST' ? '{}' : undefined,
        });
        const expected: Record<Guard, number[]> = {
          public: [200, 301, 302, 404, 503], signature: [400], token: [401], session: [401], page: [301, 302], 'oauth-callback': [400],
        };
        answers.push(`${r.method} ${r.path} ${res.status}`);
        expect({ route: `${r.method} ${r.path}`, status: res.status, ok: expected[guard].includes(res.status) })
          .toEqual({ route: `${r.method} ${r.path}`, status: res.status, ok: true });
        if (guard === 'page' && res.status === 302) expect(res.headers.get('location')).toMatch(/\/connect\/oauth2\/authorize\?|^\/(sidebar|digest)\/$/);
        await res.arrayBuffer();
      }
    }
    expect(answers.length).toBe(routes.length * 3);
  });

  it('should keep /metrics behind FENCUN_METRICS_TOKEN when it is set', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const w = await startSecurityWorld({ FENCUN_METRICS_TOKEN: token }, { seed: false });
    try {
      const none = await fetch(`${w.url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await none.text()).not.toContain('fencun_');
      expect((await fetch(`${w.url}/metrics`, { headers: { Authorization: 'Bearer wrong-0123456789abcdef' } })).status).toBe(401);
      const ok = await fetch(`${w.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('fencun_http_request_duration_seconds');
    } finally {
      await w.stop();
    }
  });

  it('should not let one rep open another rep\'s customer (IDOR) through the real server', async () => {
    const lina = await suite.world.as(REPS.lina);
    const outsider = await lina.json('GET', `/sidebar/api/contacts/${CUSTOMERS.wu}`);
    expect(outsider.status).toBe(403);
    expect(JSON.stringify(outsider.body)).not.toContain('吴昊');
    expect((await lina.json('GET', `/sidebar/api/contacts/${CUSTOMERS.wu}/timeline`)).status).toBe(403);
  });
});

describe('cookies and headers', () => {
  it('should set httpOnly, SameSite=Lax, path-scoped and (behind https) Secure session cookies, and HSTS only behind https', async () => {
    const https = await startSecurityWorld({ PUBLIC_BASE_URL: 'https://scrm.example.com' }, { seed: false });
    try {
      const c = https.client();
      const start = await c.request('GET', '/sidebar/auth/start');
      expect(start.headers.get('strict-transport-security')).toBe('max-age=31536000');
      const state = start.headers.getSetCookie().find((x) => x.startsWith('fc_sidebar_oauth='))!;
      for (const flag of [/httponly/i, /samesite=lax/i, /path=\/sidebar/i, /;\s*secure/i]) expect(state).toMatch(flag);
      const s = new URL(start.headers.get('location')!).searchParams.get('state');
      const code = https.sim.admin.issueOAuthCode({ userId: REPS.lina });
      const back = await c.request('GET', `/sidebar/auth/callback?code=${code}&state=${s}`);
      const session = back.headers.getSetCookie().find((x) => x.startsWith('fc_sidebar='))!;
      for (const flag of [/httponly/i, /samesite=lax/i, /path=\/sidebar/i, /;\s*secure/i]) expect(session).toMatch(flag);
    } finally {
      await https.stop();
    }
    const plain = await fetch(`${suite.world.url}/healthz`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  it('should answer personal data with Cache-Control: no-store and nosniff', async () => {
    const lina = await suite.world.as(REPS.lina);
    for (const p of ['/sidebar/api/session', `/sidebar/api/contacts/${CUSTOMERS.chen}`, `/sidebar/api/contacts/${CUSTOMERS.chen}/timeline`]) {
      const res = await lina.request('GET', p);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    for (const p of [`/api/customers/${CUSTOMERS.chen}/timeline`, '/api/archive/status']) {
      const res = await fetch(suite.world.url + p, { headers: { ...bearer(), 'X-Forwarded-For': freshIp() } });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${suite.world.url}/healthz`)).headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('should put a CSP on every served page', async () => {
    const lina = await suite.world.as(REPS.lina);
    const page = await lina.request('GET', '/sidebar/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'.*script-src 'self'.*object-src 'none'/);
    const fail = await lina.request('GET', '/sidebar/auth/callback?code=x&state=y');
    expect(fail.status).toBe(400);
    expect(fail.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    const digestFail = await fetch(`${suite.world.url}/digest/auth/callback?code=x&state=y`);
    expect(digestFail.headers.get('content-type')).toMatch(/text\/html/);
    expect(digestFail.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
  });

  it('should not echo the database error from /readyz', async () => {
    // The driver's message as MariaDB words it when the credentials are wrong.
    const driverMessage = "Access denied for user 'fencun'@'10.20.30.40' (using password: YES)";
    const spy = jest.spyOn(suite.world.app.services.db, 'query').mockRejectedValueOnce(new Error(driverMessage));
    try {
      const res = await fetch(`${suite.world.url}/readyz`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).not.toContain('10.20.30.40');
      expect(text).not.toContain('fencun');
      expect(JSON.parse(text)).toMatchObject({ status: 'unready', reason: expect.stringMatching(/^database unreachable/) });
      expect(suite.world.app.logs.lines().some((l) => String(l.err ?? '').includes('10.20.30.40'))).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect((await fetch(`${suite.world.url}/readyz`)).status).toBe(200);
  });
});

describe('secrets, tokens, message bodies and mobile numbers', () => {
  it('should never appear in logs or error bodies', async () => {
    const body = '机密-消息正文-7f3a';
    const mobile = '13912345678';
    const bodies: string[] = [];
    const post = async (p: string, payload: unknown, headers = bearer()) => {
      const res = await fetch(suite.world.url + p, { method: 'POST', headers: { ...headers, 'X-Forwarded-For': freshIp() }, body: JSON.stringify(payload) });
      bodies.push(await res.text());
      return res.status;
    };
    // A valid message, then a batch refused for one bad record beside a message with the same text.
    expect(await post('/api/archive/messages', [{ msgid: 'secret-1', action: 'send', from: CUSTOMERS.chen, tolist: [REPS.lina], msgtime: NOW.getTime() - 5000, msgtype: 'text', text: { content: `${body} ${mobile}` } }])).toBe(200);
    expect(await post('/api/archive/messages', [
      { msgid: 'secret-2', action: 'send', from: CUSTOMERS.chen, tolist: [REPS.lina], msgtime: NOW.getTime(), msgtype: 'text', text: { content: body } },
      { msgid: 'secret-3', action: 'send', from: CUSTOMERS.chen, tolist: [REPS.lina], msgtime: 'yesterday', msgtype: 'text', text: { content: body } },
    ])).toBe(422);
    // Orders keyed by mobile: one good, one refused for its amount, one with a mangled mobile.
    expect(await post('/api/orders', { orders: [{ order_id: 'sec-1', mobile, amount: 10, paid_at: NOW.getTime() - 1000 }] })).toBe(200);
    expect(await post('/api/orders', { orders: [{ order_id: 'sec-2', mobile, amount: 'lots', paid_at: NOW.getTime() - 1000 }] })).toBe(422);
    expect(await post('/api/orders', { orders: [{ order_id: 'sec-3', mobile: `+86-${mobile}-ext-99999`, amount: 1, paid_at: NOW.getTime() - 1000 }] })).toBe(422);
    // Wrong tokens and forged cookies.
    const wrongToken = 'wrong-token-that-must-not-be-logged-0123';
    expect(await post('/api/orders', { orders: [] }, bearer(wrongToken))).toBe(401);
    const lina = await suite.world.as(REPS.lina);
    const cookie = lina.cookies.get('fc_sidebar')!;
    const note = await lina.request('POST', `/sidebar/api/contacts/${CUSTOMERS.chen}/notes`, { text: `${body} 电话 ${mobile}` });
    expect(note.status).toBe(200);
    const refusedNote = await lina.request('POST', `/sidebar/api/contacts/${CUSTOMERS.wu}/notes`, { text: `${body} 电话 ${mobile}` });
    expect(refusedNote.status).toBe(403);
    bodies.push(await refusedNote.text());
    // A signed callback carrying a message body.
    const cb = signedPost(`<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[lina]]></FromUserName><CreateTime>${Math.floor(NOW.getTime() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${body}]]></Content><MsgId>424242</MsgId><AgentID>1000002</AgentID></xml>`, { timestamp: Math.floor(NOW.getTime() / 1000) });
    expect((await fetch(suite.world.url + cb.path, { method: 'POST', body: cb.body, headers: { 'X-Forwarded-For': freshIp() } })).status).toBe(200);
    await suite.world.app.services.processor.drain();

    const logs = suite.world.app.logs.raw();
    expect(logs).toContain('archive records ingested');
    for (const secret of [SECRET, API_TOKEN, wrongToken, cookie, TEST_WECOM.aesKey, TEST_WECOM.secret, body, mobile]) {
      expect({ secret, inLogs: logs.includes(secret) }).toEqual({ secret, inLogs: false });
      for (const b of bodies) expect({ secret, inBody: b.includes(secret) }).toEqual({ secret, inBody: false });
    }
  });
});

describe('SQL only through parameters', () => {
  it('should build no SQL string from request input anywhere in src/', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const text = fs.readFileSync(p, 'utf8');
          for (const m of text.matchAll(/`[^`]*\b(SELECT|INSERT|UPDATE|DELETE|WHERE)\b[^`]*`/g)) {
            for (const i of m[0].matchAll(/\$\{([^}]*)\}/g)) {
              if (/\b(ctx|query|params|body|req|request|input|raw)\b/.test(i[1])) offenders.push(`${path.relative(process.cwd(), p)}: \${${i[1]}}`);
            }
          }
        }
      }
    };
    walk(path.resolve(__dirname, '../../src'));
    expect(offenders).toEqual([]);
  });

  it('should treat SQL in every kind of input as data', async () => {
    const tablesBefore = await Promise.all(['messages', 'orders', 'notes', 'follows', 'external_contacts'].map((t) => count(suite.world.app, t)));
    const payloads = ["' OR '1'='1", "x'); DROP TABLE messages; --", '" OR 1=1 --', '\\\'; SELECT SLEEP(5); --', 'wm%27%20OR%201%3D1'];
    const lina = await suite.world.as(REPS.lina);
    for (const p of payloads) {
      const e = encodeURIComponent(p);
      const timeline = await fetch(`${suite.world.url}/api/customers/${e}/timeline?before=${e}`, { headers: { ...bearer(), 'X-Forwarded-For': freshIp() } });
      expect(timeline.status).toBeLessThan(500);
      if (timeline.status === 200) expect((await timeline.json()).items).toEqual([]);
      for (const path of [`/sidebar/api/contacts/${e}`, `/sidebar/api/contacts/${e}/timeline?before=${e}`, `/sidebar/api/groups/${e}`]) {
        const res = await lina.request('GET', path);
        expect({ path, refused: [403, 404].includes(res.status) }).toEqual({ path, refused: true });
      }
      const orders = await fetch(`${suite.world.url}/api/orders`, {
        method: 'POST', headers: { ...bearer(), 'X-Forwarded-For': freshIp() },
        // Order ids are printable ASCII without spaces; the rest of the payload goes in as it is.
        body: JSON.stringify({ orders: [{ order_id: p.replace(/\s/g, ''), external_user_id: p, product: p, amount: 1, paid_at: NOW.getTime() - 1000 }] }),
      });
      expect(orders.status).toBe(200);
    }
    const tablesAfter = await Promise.all(['messages', 'orders', 'notes', 'follows', 'external_contacts'].map((t) => count(suite.world.app, t)));
    // Only the orders written as data are new; every table is still there.
    expect(tablesAfter[1] - tablesBefore[1]).toBe(payloads.length);
    expect([tablesAfter[0], ...tablesAfter.slice(2)]).toEqual([tablesBefore[0], ...tablesBefore.slice(2)]);
    const [stored] = await suite.world.app.services.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM orders WHERE external_order_id = ? AND product = ?', [payloads[1].replace(/\s/g, ''), payloads[1]]);
    expect(Number(stored.n)).toBe(1);
  });
});
