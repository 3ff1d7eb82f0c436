import { createHash, randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { insertIgnoringDuplicates } from '../db/sql';
import { signToken, verifyToken } from '../sidebar-api/signed-token';

/**
 * The console's session and sign-in state, as signed cookies (the sidebar's signed-token format,
 * its own purposes so a sidebar cookie is never a console session).
 *
 * - fc_admin: { u: WeCom userid or local-admin, via, c: corp id, exp, j: random, k: token key for
 *   a local-token session }. HttpOnly, path /admin, SameSite=Lax (WeCom's web login comes back
 *   as a cross-site navigation; Strict would drop the cookie on the redirect that follows it),
 *   Secure when PUBLIC_BASE_URL is https. A session is accepted only for WECOM_CORP_ID, and a
 *   local-token session only while FENCUN_ADMIN_TOKEN is the token it was opened with. The
 *   role is not in the cookie: it is looked up on every request (roles.ts).
 * - fc_admin_oauth: the pending web-login state { n: nonce, to, exp }, 10 minutes. A state is
 *   good for one sign-in on every instance: its nonce is written to admin_oauth_states on use,
 *   and the primary key refuses the second.
 */

export const ADMIN_COOKIE = 'fc_admin';
export const ADMIN_OAUTH_COOKIE = 'fc_admin_oauth';
const SESSION_PURPOSE = 'admin-session';
const OAUTH_PURPOSE = 'admin-oauth';
const OAUTH_TTL_MS = 10 * 60_000;
export const LOCAL_ACTOR = 'local-admin';

export interface AdminSession {
  u: string;
  via: 'wecom' | 'token';
  c: string;
  exp: number;
  j: string;
  k?: string;
}

export interface AdminSessionOptions {
  db: Database;
  secret: string;
  corpId: string;
  clock: Clock;
  ttlMs: number;
  secure: boolean;
  /** FENCUN_ADMIN_TOKEN ('' when unset: no local-token sessions). */
  adminToken: string;
}

export class AdminSessions {
  /** A hash of the local token: rotating FENCUN_ADMIN_TOKEN signs every token session out. */
  readonly tokenKey: string;

  constructor(private readonly o: AdminSessionOptions) {
    this.tokenKey = o.adminToken ? createHash('sha256').update('fencun-admin\n' + o.adminToken).digest('base64url').slice(0, 22) : '';
  }

  private now(): number {
    return this.o.clock().getTime();
  }

  issue(ctx: Koa.Context, userId: string, via: AdminSession['via']): AdminSession {
    const s: AdminSession = { u: userId, via, c: this.o.corpId, exp: this.now() + this.o.ttlMs, j: randomBytes(9).toString('base64url'), ...(via === 'token' ? { k: this.tokenKey } : {}) };
    this.setCookie(ctx, ADMIN_COOKIE, signToken(this.o.secret, SESSION_PURPOSE, s), this.o.ttlMs);
    return s;
  }

  read(ctx: Koa.Context): AdminSession | null {
    const s = verifyToken<AdminSession>(this.o.secret, SESSION_PURPOSE, ctx.cookies.get(ADMIN_COOKIE));
    if (!s || typeof s.u !== 'string' || !s.u || typeof s.exp !== 'number' || s.exp <= this.now()) return null;
    if (s.c !== this.o.corpId) return null;
    if (s.via === 'token') return this.tokenKey && s.k === this.tokenKey && s.u === LOCAL_ACTOR ? s : null;
    return s.via === 'wecom' ? s : null;
  }

  clear(ctx: Koa.Context): void {
    this.setCookie(ctx, ADMIN_COOKIE, '', 0);
  }

  beginOAuth(ctx: Koa.Context, returnTo: string): string {
    const n = randomBytes(12).toString('base64url');
    this.setCookie(ctx, ADMIN_OAUTH_COOKIE, signToken(this.o.secret, OAUTH_PURPOSE, { n, to: safeAdminPath(returnTo), exp: this.now() + OAUTH_TTL_MS }), OAUTH_TTL_MS);
    return n;
  }

  /** Where to go after sign-in, or null when the state is missing, not this browser's, expired or used. */
  async finishOAuth(ctx: Koa.Context, nonce: string): Promise<string | null> {
    const s = verifyToken<{ n: string; to: string; exp: number }>(this.o.secret, OAUTH_PURPOSE, ctx.cookies.get(ADMIN_OAUTH_COOKIE));
    this.setCookie(ctx, ADMIN_OAUTH_COOKIE, '', 0);
    const now = this.now();
    if (!s || typeof s.n !== 'string' || !nonce || s.n !== nonce || typeof s.exp !== 'number' || s.exp <= now) return null;
    await this.o.db.exec('DELETE FROM admin_oauth_states WHERE expires_at <= ?', [now]);
    const first = await insertIgnoringDuplicates(this.o.db, 'admin_oauth_states', ['nonce', 'expires_at'], [[s.n, s.exp]], ['nonce']);
    return first === 1 ? safeAdminPath(s.to) : null;
  }

  private setCookie(ctx: Koa.Context, name: string, value: string, maxAgeMs: number): void {
    // Behind a TLS-terminating proxy Koa may think the request is plain http; PUBLIC_BASE_URL is the truth.
    if (this.o.secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    ctx.cookies.set(name, value, { path: '/admin', maxAge: maxAgeMs, httpOnly: true, sameSite: 'lax', secure: this.o.secure, overwrite: true });
  }
}

/** Only local paths under /admin/ may be returned to after sign-in (no open redirect). */
export function safeAdminPath(to: unknown): string {
  if (typeof to !== 'string' || !to.startsWith('/admin/') || to.startsWith('//') || /[\r\n\\]/.test(to) || to.length > 1024) return '/admin/';
  return to;
}
