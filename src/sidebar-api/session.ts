import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import { signToken, verifyToken } from './signed-token';

/**
 * The rep's sidebar session: a signed, httpOnly, SameSite cookie carrying the WeCom userid and an
 * expiry. Stateless on purpose: the sidebar is opened next to every chat, and snsapi_base OAuth
 * re-signs a rep in silently, so a short expiry costs one redirect and no database table.
 */

export const SESSION_COOKIE = 'fc_sidebar';
export const OAUTH_COOKIE = 'fc_sidebar_oauth';
const COOKIE_PATH = '/sidebar';
/** The OAuth `code` lives 5 minutes (API.md 4.18); the state cookie need not outlive it by much. */
const OAUTH_STATE_TTL_MS = 10 * 60_000;

export interface SessionPayload {
  /** WeCom userid of the rep. */
  u: string;
  /** Issued at / expires at, epoch ms. */
  iat: number;
  exp: number;
  /** Signed in with the demo picker rather than OAuth. */
  demo?: boolean;
  /** Random id: two sign-ins in one millisecond are still two sessions (and two rate-limit budgets). */
  j?: string;
  /** The corp the session was issued for: one secret shared by two installs opens neither's sessions to the other. */
  c?: string;
}

export interface OAuthState {
  /** Nonce echoed by WeCom as `state`. */
  n: string;
  /** Where to return to, always a path under /sidebar/. */
  to: string;
  exp: number;
  /** The corp the state was issued for (as sessions are). */
  c?: string;
}

export interface SessionOptions {
  secret: string;
  ttlMs: number;
  /** Secure cookies when the public URL is https. */
  secure: boolean;
  clock: Clock;
  /** WECOM_CORP_ID: sessions are issued for, and only accepted by, this corp. */
  corpId: string;
  /** FENCUN_DEMO: without it a demo-picker session is refused, whoever signed it. */
  demo: boolean;
  /** Another page signing in the same way (the digest): its cookies, path and token purposes; default the sidebar's. */
  scope?: SessionScope;
}

export interface SessionScope {
  session: string;
  oauth: string;
  /** Cookie path, also the only prefix a sign-in may return to (path + '/'). */
  path: string;
  /** Prefix of the signed tokens' purposes: one page's session or state never opens another's. */
  purpose: string;
}

const SIDEBAR_SCOPE: SessionScope = { session: SESSION_COOKIE, oauth: OAUTH_COOKIE, path: COOKIE_PATH, purpose: '' };

/** At most this many OAuth states remembered as used (they expire after 10 minutes anyway). */
const MAX_USED_STATES = 100_000;

export class SessionCodec {
  /** OAuth nonces already exchanged, with their expiry: a state is good for one sign-in. */
  private readonly usedStates = new Map<string, number>();

  private readonly scope: SessionScope;

  constructor(private readonly o: SessionOptions) {
    this.scope = o.scope ?? SIDEBAR_SCOPE;
  }

  issue(ctx: Koa.Context, userId: string, demo = false): SessionPayload {
    const iat = this.o.clock().getTime();
    const payload: SessionPayload = { u: userId, iat, exp: iat + this.o.ttlMs, j: randomBytes(9).toString('base64url'), c: this.o.corpId, ...(demo ? { demo: true } : {}) };
    this.setCookie(ctx, this.scope.session, signToken(this.o.secret, this.scope.purpose + 'session', payload), this.o.ttlMs);
    return payload;
  }

  /** 'missing' and 'expired' both send the page through OAuth again; 'invalid' is logged. */
  read(ctx: Koa.Context): { ok: true; session: SessionPayload } | { ok: false; why: 'missing' | 'invalid' | 'expired' } {
    const raw = ctx.cookies.get(this.scope.session);
    if (!raw) return { ok: false, why: 'missing' };
    const s = verifyToken<SessionPayload>(this.o.secret, this.scope.purpose + 'session', raw);
    if (!s || typeof s.u !== 'string' || !s.u || typeof s.exp !== 'number') return { ok: false, why: 'invalid' };
    if (s.c !== this.o.corpId || (s.demo !== undefined && s.demo !== true)) return { ok: false, why: 'invalid' };
    if (s.demo && !this.o.demo) return { ok: false, why: 'invalid' };
    if (s.exp <= this.o.clock().getTime()) return { ok: false, why: 'expired' };
    return { ok: true, session: s };
  }

  /** The session or a 401 the page understands (code SESSION_REQUIRED → re-authenticate). */
  require(ctx: Koa.Context, extra: Record<string, unknown> = {}): SessionPayload {
    const r = this.read(ctx);
    if (r.ok) return r.session;
    if (r.why === 'invalid') ctx.state.log?.warn({ path: ctx.path }, 'sidebar session cookie failed verification');
    throw new AppError('SESSION_REQUIRED', r.why === 'expired' ? '登录已过期，请重新进入' : '请先登录', {
      status: 401,
      details: { reason: r.why, login: `${this.scope.path}/auth/start`, ...extra },
    });
  }

  clear(ctx: Koa.Context): void {
    this.setCookie(ctx, this.scope.session, '', 0);
  }

  beginOAuth(ctx: Koa.Context, returnTo: string): OAuthState {
    const state: OAuthState = { n: randomBytes(12).toString('base64url'), to: returnTo, exp: this.o.clock().getTime() + OAUTH_STATE_TTL_MS, c: this.o.corpId };
    this.setCookie(ctx, this.scope.oauth, signToken(this.o.secret, this.scope.purpose + 'oauth', state), OAUTH_STATE_TTL_MS);
    return state;
  }

  /**
   * The pending OAuth state matching `nonce`, consumed (single use). Clearing the cookie is not
   * enough, since a replayer simply sends it again: this instance remembers the nonce until the
   * state expires, so a replay never reaches WeCom (behind N instances, at most N exchanges).
   */
  finishOAuth(ctx: Koa.Context, nonce: string): OAuthState | null {
    const s = verifyToken<OAuthState>(this.o.secret, this.scope.purpose + 'oauth', ctx.cookies.get(this.scope.oauth));
    this.setCookie(ctx, this.scope.oauth, '', 0);
    const now = this.o.clock().getTime();
    if (!s || typeof s.n !== 'string' || s.n !== nonce || typeof s.exp !== 'number' || s.exp <= now || s.c !== this.o.corpId) return null;
    this.forgetExpiredStates(now);
    if (this.usedStates.has(s.n)) return null;
    this.usedStates.set(s.n, s.exp);
    return { ...s, to: safeReturnPath(s.to, this.scope.path + '/') };
  }

  private forgetExpiredStates(now: number): void {
    for (const [n, exp] of this.usedStates) {
      if (exp <= now || this.usedStates.size >= MAX_USED_STATES) this.usedStates.delete(n);
      else break;
    }
  }

  private setCookie(ctx: Koa.Context, name: string, value: string, maxAgeMs: number): void {
    // Behind a TLS-terminating proxy that omits X-Forwarded-Proto, Koa thinks the request is
    // plain http and refuses Secure cookies; PUBLIC_BASE_URL is the truth about what users see.
    if (this.o.secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    // SameSite=Lax, not Strict: WeCom's OAuth redirect back to us is a cross-site top-level
    // navigation, and the state cookie must come along with it.
    ctx.cookies.set(name, value, {
      path: this.scope.path,
      maxAge: maxAgeMs,
      httpOnly: true,
      sameSite: 'lax',
      secure: this.o.secure,
      overwrite: true,
    });
  }
}

/** Only local paths under /sidebar/ (or another scope's home) may be returned to (no open redirect). */
export function safeReturnPath(to: unknown, home = '/sidebar/'): string {
  if (typeof to !== 'string' || !to.startsWith(home) || to.startsWith('//') || /[\r\n\\]/.test(to) || to.length > 1024) {
    return home;
  }
  return to;
}
