import fs from 'node:fs';
import path from 'node:path';
import { encrypt, getSignature } from '@wecom/crypto';
import { fixedClock } from '../../src/clock';
import { startTestApp, TestApp } from '../helpers/app';
import { postCallback, signedPost, signedVerification, TEST_WECOM } from '../helpers/wecom-callback';

const FIXTURES = path.join(__dirname, '../fixtures/wecom-events');
const EXPECTED_KIND: Record<string, string> = {
  add_external_contact: 'add_external_contact',
  add_half_external_contact: 'add_half_external_contact',
  edit_external_contact: 'edit_external_contact',
  del_external_contact: 'del_external_contact',
  del_follow_user: 'del_follow_user',
  transfer_fail: 'transfer_fail',
  msg_audit_approved: 'msg_audit_approved',
  change_external_chat_create: 'external_chat_create',
  change_external_chat_update: 'external_chat_update',
  change_external_chat_dismiss: 'external_chat_dismiss',
  change_external_tag_create: 'external_tag_create',
  change_external_tag_update: 'external_tag_update',
  change_external_tag_delete: 'external_tag_delete',
  change_external_tag_shuffle: 'external_tag_shuffle',
  app_text_message: 'app_message',
  enter_agent: 'enter_agent',
  kf_msg_or_event: 'kf_msg_or_event',
  msgaudit_notify: 'msgaudit_notify',
};

function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, `${name}.xml`), 'utf8');
}

async function inboxCount(app: TestApp): Promise<number> {
  const [row] = await app.services.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM inbox_events');
  return Number(row.n);
}

describe('callback ingress (real server)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ capabilities: false });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should answer URL verification with the decrypted echostr', async () => {
    const v = signedVerification('1616140317555161061', { random: Buffer.from('fedcba9876543210') });
    const res = await fetch(app.url + v.path);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1616140317555161061');
  });

  it('should store every event type once, acknowledge with an empty 200, and process it', async () => {
    expect(Object.keys(EXPECTED_KIND).sort()).toEqual(fs.readdirSync(FIXTURES).map((f) => f.replace('.xml', '')).sort());
    for (const [name, kind] of Object.entries(EXPECTED_KIND)) {
      const cb = signedPost(fixture(name));
      const res = await postCallback(app.url, cb);
      expect({ name, status: res.status, body: res.text }).toEqual({ name, status: 200, body: '' });
      const rows = await app.services.db.query<{ kind: string; status: string }>(
        'SELECT kind, status FROM inbox_events WHERE payload = ?', [fixture(name)]);
      expect({ name, rows }).toEqual({ name, rows: [{ kind, status: 'pending' }] });
    }
    const processed = await app.services.processor.drain();
    expect(processed).toBe(Object.keys(EXPECTED_KIND).length);
    const recorded = await app.services.db.query<{ kind: string }>('SELECT kind FROM wecom_events ORDER BY kind');
    expect(recorded.map((r) => r.kind).sort()).toEqual(Object.values(EXPECTED_KIND).sort());
    const [notDone] = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM inbox_events WHERE status <> 'done'");
    expect(Number(notDone.n)).toBe(0);
  });

  it('should store a retried delivery once and acknowledge both', async () => {
    const xml = fixture('del_follow_user').replace('woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA', 'wmRETRY0001');
    const before = await inboxCount(app);
    const first = await postCallback(app.url, signedPost(xml));
    // WeCom's retry carries a fresh timestamp, nonce and signature around the same event.
    const retry = await postCallback(app.url, signedPost(xml));
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(await inboxCount(app)).toBe(before + 1);
    expect(app.logs.find('callback duplicate acknowledged').length).toBeGreaterThanOrEqual(1);
  });

  it('should keep two real edits of one relation in the same second apart, and store a byte-identical retry of either once', async () => {
    // An edit's plaintext is who, what and a CreateTime in seconds: two edits in one second decrypt
    // to the same bytes. WeCom encrypts each message afresh; its retry resends the same request.
    const xml = fixture('edit_external_contact').replace('woAJ2GCAAAXtWyujaWJHDDGi0mAAAA', 'wmSAMESECOND01');
    const before = await inboxCount(app);
    const firstEdit = signedPost(xml);
    const secondEdit = signedPost(xml);
    const results = [
      await postCallback(app.url, firstEdit),
      await postCallback(app.url, secondEdit),
      await postCallback(app.url, secondEdit), // retry of the second edit: same query, same body
      await postCallback(app.url, firstEdit), // retry of the first, after the second arrived
    ];
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const rows = await app.services.db.query<{ kind: string }>('SELECT kind FROM inbox_events WHERE payload = ?', [xml]);
    expect(rows).toEqual([{ kind: 'edit_external_contact' }, { kind: 'edit_external_contact' }]);
    expect(await inboxCount(app)).toBe(before + 2);
    // Concurrent copies of one request (WeCom retrying while the first is still in flight): once.
    const third = signedPost(xml.replace('wmSAMESECOND01', 'wmSAMESECOND02'));
    const copies = await Promise.all(Array.from({ length: 6 }, () => postCallback(app.url, third)));
    expect(copies.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(await inboxCount(app)).toBe(before + 3);
  });

  it('should store concurrent copies of one event once', async () => {
    const xml = fixture('app_text_message').replace('4561255354251345929', '777000111');
    const before = await inboxCount(app);
    const results = await Promise.all(Array.from({ length: 8 }, () => postCallback(app.url, signedPost(xml))));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(await inboxCount(app)).toBe(before + 1);
  });

  describe('refusals', () => {
    const event = () => fixture('add_external_contact').replace('WELCOMECODE', `W${Math.random()}`);
    const cases: [string, () => { path: string; body: string; headers?: Record<string, string> }, number, string][] = [
      ['a forged signature', () => {
        const cb = signedPost(event());
        return { ...cb, path: cb.path.replace(/msg_signature=[0-9a-f]{40}/, 'msg_signature=' + 'a'.repeat(40)) };
      }, 403, 'bad_signature'],
      ['the wrong token', () => signedPost(event(), { token: 'SomeOtherToken' }), 403, 'bad_signature'],
      ['another corp in the receive id', () => signedPost(event(), { corpId: 'ww0000000000000000' }), 403, 'wrong_corp'],
      ['the wrong AES key', () => signedPost(event(), { aesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR' }), 400, 'undecryptable'],
      ['a stale timestamp (replay)', () => signedPost(event(), { timestamp: Math.floor(Date.now() / 1000) - 3 * 86400 }), 403, 'stale_timestamp'],
      ['a body that is not XML', () => {
        const cb = signedPost(event());
        return { ...cb, body: '{"Encrypt": "abc"}' };
      }, 400, 'malformed_xml'],
      ['a DOCTYPE in the envelope', () => {
        const cb = signedPost(event());
        return { ...cb, body: '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + cb.body.replace('<ToUserName>', '<ToUserName>&x;') };
      }, 400, 'hostile_xml'],
      ['an entity bomb inside the encrypted payload', () =>
        signedPost('<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><xml><MsgType>text</MsgType><Content>&b;</Content><MsgId>1</MsgId></xml>'),
      400, 'hostile_xml'],
      ['a payload that decrypts to non-XML', () => signedPost('hello, not xml'), 400, 'malformed_xml'],
      ['missing query parameters', () => ({ path: '/wecom/callback', body: signedPost(event()).body }), 400, 'missing_params'],
      ['a 6 MB body', () => {
        const cb = signedPost(event());
        return { ...cb, body: cb.body.replace('</xml>', `<Pad>${'x'.repeat(6 * 1024 * 1024)}</Pad></xml>`) };
      }, 413, 'too_large'],
    ];

    it.each(cases)('should refuse %s, store nothing and stay healthy', async (_name, build, status, reason) => {
      const before = await inboxCount(app);
      const req = build();
      const res = await fetch(app.url + req.path, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: req.body });
      expect(res.status).toBe(status);
      expect(await res.text()).toBe(`refused: ${reason}`);
      expect(await inboxCount(app)).toBe(before);
      const logged = app.logs.lines().filter((l) => l.reason === reason && String(l.msg).startsWith('callback refused'));
      expect(logged.length).toBeGreaterThanOrEqual(1);
      expect((await fetch(app.url + '/healthz')).status).toBe(200);
    });
  });

  it('should keep secrets and message bodies out of the logs', async () => {
    await postCallback(app.url, signedPost(fixture('app_text_message').replace('hello', '机密内容-secret-body').replace('4561255354251345929', '99887766')));
    await app.services.processor.drain();
    const raw = app.logs.raw();
    expect(raw).toContain('callback stored');
    for (const secret of [TEST_WECOM.aesKey, TEST_WECOM.token, TEST_WECOM.secret, '机密内容-secret-body']) {
      expect(raw).not.toContain(secret);
    }
  });

  it('should expose callback outcomes in /metrics', async () => {
    const text = await (await fetch(app.url + '/metrics')).text();
    expect(text).toMatch(/fencun_callbacks_total\{outcome="stored"\} \d+/);
    expect(text).toMatch(/fencun_callbacks_total\{outcome="duplicate"\} [1-9]/);
    expect(text).toMatch(/fencun_callbacks_total\{outcome="bad_signature"\} 2/);
    expect(text).toMatch(/fencun_inbox_events\{status="done"\} \d+/);
    expect(text).toMatch(/fencun_http_request_duration_seconds_bucket\{.*route="\/wecom\/callback"/);
  });
});

describe('URL verification with the official example', () => {
  it('should verify and decrypt Tencent\'s published sample request', async () => {
    // The sample was signed in 2014: pin the clock to its timestamp so the replay window admits it.
    const app = await startTestApp({ capabilities: false, clock: fixedClock(new Date(1409659589 * 1000)) });
    try {
      const res = await fetch(app.url +
        '/wecom/callback?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D');
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toMatch(/^\d+$/);
      // Same sample, one character of the signature changed: refused.
      const bad = await fetch(app.url +
        '/wecom/callback?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd4&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D');
      expect(bad.status).toBe(403);
    } finally {
      await app.stop();
    }
  });

  it('should accept a callback signed exactly as the official algorithm describes', async () => {
    const app = await startTestApp({ capabilities: false });
    try {
      const xml = fixture('del_follow_user');
      const enc = encrypt(TEST_WECOM.aesKey, xml, TEST_WECOM.corpId, Buffer.alloc(16, 7));
      const ts = String(Math.floor(Date.now() / 1000));
      const sig = getSignature(TEST_WECOM.token, ts, '1372623149', enc);
      const res = await fetch(`${app.url}/wecom/callback?msg_signature=${sig}&timestamp=${ts}&nonce=1372623149`, {
        method: 'POST', body: `<xml><ToUserName>${TEST_WECOM.corpId}</ToUserName><Encrypt>${enc}</Encrypt><AgentID></AgentID></xml>`,
      });
      expect(res.status).toBe(200);
      expect(await inboxCount(app)).toBe(1);
    } finally {
      await app.stop();
    }
  });
});
