import { extractEncrypt, ENVELOPE_MARKUP_MAX_BYTES } from '../../src/callback/envelope';
import { CallbackRefused } from '../../src/callback/verify';
import { resolveClientIp } from '../../src/http/middleware/client-ip';
import { loggable } from '../../src/http/middleware/error-handler';
import { RateLimiter } from '../../src/http/middleware/rate-limit';
import { jsonNestsDeeperThan } from '../../src/http/read-body';
import { decodeBase64urlStrict } from '../../src/sidebar-api/signed-token';

/** The pure pieces behind the HTTP tests, at their edges. */

describe('RateLimiter', () => {
  it('should refuse past the limit until the window closes, then serve again', () => {
    let t = 1_000;
    const l = new RateLimiter({ limit: 3, windowMs: 60_000, now: () => t });
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([0, 0, 0]);
    expect(l.take('a')).toBe(60_000);
    expect(l.take('b')).toBe(0);
    t += 59_999;
    expect(l.blockedFor('a')).toBe(1);
    t += 1;
    expect(l.blockedFor('a')).toBe(0);
    expect(l.take('a')).toBe(0);
  });

  it('should keep its memory bounded under a flood of distinct keys', () => {
    const l = new RateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 100, now: () => 0 });
    for (let i = 0; i < 10_000; i++) l.take(`k${i}`);
    expect(l.size).toBeLessThanOrEqual(100);
  });
});

describe('resolveClientIp', () => {
  const trusted = new Set(['127.0.0.1', '10.0.0.2']);
  it('should believe X-Forwarded-For only from a trusted peer, read from the right', () => {
    expect(resolveClientIp('203.0.113.9', '1.2.3.4', trusted)).toBe('203.0.113.9');
    expect(resolveClientIp('::ffff:127.0.0.1', '1.2.3.4', trusted)).toBe('1.2.3.4');
    // The client wrote the leftmost entry itself; our proxies appended the rest.
    expect(resolveClientIp('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.0.0.2', trusted)).toBe('198.51.100.7');
    expect(resolveClientIp('127.0.0.1', 'not-an-ip', trusted)).toBe('127.0.0.1');
    expect(resolveClientIp('127.0.0.1', '', trusted)).toBe('127.0.0.1');
  });
});

describe('decodeBase64urlStrict', () => {
  it('should accept only the canonical unpadded spelling', () => {
    const text = Buffer.from('{"u":"lina"}').toString('base64url');
    expect(decodeBase64urlStrict(text)?.toString()).toBe('{"u":"lina"}');
    for (const v of [text + '=', text + '==', text.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), text + '.', '+/+/', 'a', text + ' ']) {
      const decoded = decodeBase64urlStrict(v);
      expect({ v, same: decoded?.toString() === '{"u":"lina"}' && v !== text }).toEqual({ v, same: false });
    }
  });
});

describe('jsonNestsDeeperThan', () => {
  it('should count nesting outside strings only, without recursion', () => {
    expect(jsonNestsDeeperThan('['.repeat(1_000_000), 32)).toBe(true);
    expect(jsonNestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":"\\"[[[["}', 1)).toBe(false);
    expect(jsonNestsDeeperThan('[[[1]]]', 3)).toBe(false);
    expect(jsonNestsDeeperThan('[[[[1]]]]', 3)).toBe(true);
  });
});

describe('extractEncrypt', () => {
  const refusal = (body: string) => {
    try {
      extractEncrypt(body);
      return null;
    } catch (err) {
      return (err as CallbackRefused).reason;
    }
  };
  it('should take the Encrypt value of a WeCom envelope, CDATA or not', () => {
    expect(extractEncrypt('<xml><ToUserName><![CDATA[ww1]]></ToUserName><Encrypt><![CDATA[QUJD]]></Encrypt></xml>')).toBe('QUJD');
    expect(extractEncrypt(' <xml><Encrypt>QUJD</Encrypt></xml>\n')).toBe('QUJD');
  });
  it('should refuse everything else cheaply', () => {
    expect(refusal('<xml><Encrypt>QUJD</Encrypt><Encrypt>QUJD</Encrypt></xml>')).toBe('malformed_xml');
    expect(refusal('<xml><Encrypt><![CDATA[QUJD</Encrypt></xml>')).toBe('malformed_xml');
    expect(refusal('<xml><Encrypt>QU JD</Encrypt></xml>')).toBe('malformed_xml');
    expect(refusal('<xml></xml>')).toBe('malformed_xml');
    expect(refusal(`<xml><Encrypt>QUJD</Encrypt><P>${'x'.repeat(ENVELOPE_MARKUP_MAX_BYTES)}</P></xml>`)).toBe('too_large');
    expect(refusal('<!DOCTYPE x><xml><Encrypt>QUJD</Encrypt></xml>')).toBe('hostile_xml');
  });
});

describe('loggable', () => {
  it('should log a failed query by kind and code, without its values', () => {
    const err = Object.assign(new Error("Duplicate entry '13912345678' for key 'uq_orders_external_id'"), {
      name: 'QueryFailedError', code: 'ER_DUP_ENTRY', errno: 1062, query: 'INSERT …', parameters: ['13912345678', '机密'],
    });
    const out = JSON.stringify(loggable(err));
    expect(out).toContain('ER_DUP_ENTRY');
    expect(out).toContain('Duplicate entry');
    expect(out).not.toContain('13912345678');
    expect(out).not.toContain('机密');
  });
});
