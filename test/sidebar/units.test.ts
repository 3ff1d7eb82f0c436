import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WECOM_PUBLIC_API_BASE } from '../../src/config';
import { isSidebarBuildStale } from '../../src/sidebar-api/build';
import { jsapiSignature, signableUrl } from '../../src/sidebar-api/jssdk-signature';
import { safeReturnPath } from '../../src/sidebar-api/session';
import { resolveSidebarSettings, SidebarConfigSchema } from '../../src/sidebar-api/sidebar-config';
import { signToken, verifyToken } from '../../src/sidebar-api/signed-token';
import { snoozeUntil } from '../../src/sidebar-api/snooze';

describe('jsapiSignature', () => {
  it('should reproduce the official example (developer.work.weixin.qq.com/document/path/90506)', () => {
    expect(jsapiSignature({
      ticket: 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
      nonceStr: 'Wm3WZYTPz0wzccnW',
      timestamp: 1414587457,
      url: 'http://mp.weixin.qq.com?params=value',
    })).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
  });

  it('should sign the raw URL, without escaping it', () => {
    const base = { ticket: 't', nonceStr: 'n', timestamp: 1 };
    expect(jsapiSignature({ ...base, url: 'https://a.example/sidebar/?q=中文' }))
      .not.toBe(jsapiSignature({ ...base, url: 'https://a.example/sidebar/?q=%E4%B8%AD%E6%96%87' }));
  });
});

describe('signableUrl', () => {
  const base = 'https://scrm.example.com';

  it.each([
    ['https://scrm.example.com/sidebar/?a=1#/x', 'https://scrm.example.com/sidebar/?a=1'],
    ['https://scrm.example.com/sidebar/', 'https://scrm.example.com/sidebar/'],
  ])('should strip the fragment of %s', (given, expected) => {
    expect(signableUrl(given, base)).toBe(expected);
  });

  it.each([
    'https://evil.example.com/sidebar/',
    'http://scrm.example.com/sidebar/',
    'https://scrm.example.com/other/',
    'not a url',
    42,
  ])('should refuse %s', (given) => {
    expect(() => signableUrl(given, base)).toThrow();
  });
});

describe('signed tokens', () => {
  const secret = 'a-secret-of-enough-length';

  it('should round-trip a payload', () => {
    expect(verifyToken(secret, 'session', signToken(secret, 'session', { u: 'lina', exp: 1 }))).toEqual({ u: 'lina', exp: 1 });
  });

  it('should refuse another secret, another purpose, or a changed payload', () => {
    const token = signToken(secret, 'oauth', { u: 'lina' });
    expect(verifyToken('another-secret-0123456789', 'oauth', token)).toBeNull();
    expect(verifyToken(secret, 'session', token)).toBeNull();
    const [, mac] = token.split('.');
    expect(verifyToken(secret, 'oauth', `${Buffer.from('{"u":"boss"}').toString('base64url')}.${mac}`)).toBeNull();
    expect(verifyToken(secret, 'oauth', 'garbage')).toBeNull();
    expect(verifyToken(secret, 'oauth', undefined)).toBeNull();
  });
});

describe('safeReturnPath', () => {
  it.each([
    ['/sidebar/?contact=wm1', '/sidebar/?contact=wm1'],
    ['https://evil.example.com/', '/sidebar/'],
    ['//evil.example.com/sidebar/', '/sidebar/'],
    ['/admin', '/sidebar/'],
    ['/sidebar/\r\nSet-Cookie: x=1', '/sidebar/'],
    [undefined, '/sidebar/'],
  ])('should turn %p into %p', (given, expected) => {
    expect(safeReturnPath(given)).toBe(expected);
  });
});

describe('snoozeUntil', () => {
  const now = new Date('2025-03-06T22:30:00+08:00');

  it.each([
    ['1h', '2025-03-06T15:30:00.000Z'],
    ['tomorrow', '2025-03-07T01:00:00.000Z'],
    ['3d', '2025-03-09T01:00:00.000Z'],
    ['7d', '2025-03-13T01:00:00.000Z'],
  ] as const)('should snooze %s to %s', (preset, expected) => {
    expect(snoozeUntil(preset, now, 'Asia/Shanghai').toISOString()).toBe(expected);
  });
});

describe('sidebar settings', () => {
  const file = SidebarConfigSchema.parse({});

  it("should use WeCom's authorize page by default", () => {
    expect(resolveSidebarSettings(file, WECOM_PUBLIC_API_BASE).oauthAuthorizeBase).toBe('https://open.weixin.qq.com');
  });

  it('should follow WECOM_API_BASE to a simulator, unless configured', () => {
    expect(resolveSidebarSettings(file, 'http://127.0.0.1:4100/').oauthAuthorizeBase).toBe('http://127.0.0.1:4100');
    const configured = SidebarConfigSchema.parse({ oauthAuthorizeBase: 'https://sso.example.com/' });
    expect(resolveSidebarSettings(configured, 'http://127.0.0.1:4100').oauthAuthorizeBase).toBe('https://sso.example.com');
  });

  it('should refuse a session shorter than 5 minutes', () => {
    expect(SidebarConfigSchema.safeParse({ sessionTtlMinutes: 1 }).success).toBe(false);
  });
});

describe('isSidebarBuildStale', () => {
  it('should rebuild when dist is missing or older than any source, and not otherwise', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fencun-sidebar-'));
    try {
      fs.mkdirSync(path.join(root, 'src', 'views'), { recursive: true });
      fs.writeFileSync(path.join(root, 'src', 'views', 'a.vue'), '<template />');
      expect(isSidebarBuildStale(root)).toBe(true);
      fs.mkdirSync(path.join(root, 'dist'));
      fs.writeFileSync(path.join(root, 'dist', 'index.html'), '<html>');
      const past = new Date(Date.now() - 60_000);
      fs.utimesSync(path.join(root, 'src', 'views', 'a.vue'), past, past);
      expect(isSidebarBuildStale(root)).toBe(false);
      fs.utimesSync(path.join(root, 'src', 'views', 'a.vue'), new Date(), new Date(Date.now() + 60_000));
      expect(isSidebarBuildStale(root)).toBe(true);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
