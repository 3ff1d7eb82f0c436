import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type Koa from 'koa';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Database } from '../db/database';
import { BodyTooLarge, readBody } from '../http/read-body';
import type { InboxRepository } from '../inbox/repository';
import { JobRunRepository } from '../jobs/repository';
import type { Log } from '../log';
import type { Metrics } from '../ops/metrics';
import { OutboxRepository } from '../outbox/repository';
import { signToken, verifyToken } from '../sidebar-api/signed-token';
import { readOperations, type OperationsDeps } from './operations';
import { renderAdminPage, renderLoginPage } from './page';
import { AdminRepository } from './repository';

/**
 * The operators' console (/admin/), Operations part. Sign-in for first set-up is the local admin
 * token FENCUN_ADMIN_TOKEN, typed once into the form; it buys a signed, httpOnly session cookie
 * on path /admin. Without the variable the console does not exist (404), so an install that never
 * set it has no password page to guess at. Wrong tokens are 401s, which the auth-failure rate
 * limit counts per address; every POST passes the same-origin check (sameOriginMutations), and
 * every change is written to admin_audit.
 */
export interface AdminRouteDeps {
  config: Config;
  db: Database;
  clock: Clock;
  log: Log;
  inbox: InboxRepository;
  metrics: Metrics;
}

const COOKIE = 'fc_admin';
const PURPOSE = 'admin-session';
const SESSION_TTL_MS = 8 * 3_600_000;
/** The one identity the local token signs in as (WeCom sign-in with named members comes later). */
const LOCAL_ACTOR = 'local-admin';
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

export function adminRoutes(deps: AdminRouteDeps): Router {
  const r = new Router({ strict: true });
  const token = deps.config.adminToken;
  if (!token) return r;
  const secret = deps.config.sessionSecret;
  const secure = deps.config.publicBaseUrl.startsWith('https:');
  // A session names the token it was opened with: rotating FENCUN_ADMIN_TOKEN signs everyone out.
  const tokenKey = createHash('sha256').update('fencun-admin\n' + token).digest('base64url').slice(0, 22);
  const admin = new AdminRepository(deps.db);
  const ops: OperationsDeps = { inbox: deps.inbox, outbox: new OutboxRepository(deps.db), jobs: new JobRunRepository(deps.db), admin, metrics: deps.metrics };
  const now = () => deps.clock().getTime();

  const setCookie = (ctx: Koa.Context, value: string, maxAge: number) => {
    if (secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    ctx.cookies.set(COOKIE, value, { path: '/admin', maxAge, httpOnly: true, sameSite: 'strict', secure, overwrite: true });
  };
  const signedIn = (ctx: Koa.Context): string | null => {
    const s = verifyToken<{ u: string; k: string; exp: number }>(secret, PURPOSE, ctx.cookies.get(COOKIE));
    return s && typeof s.u === 'string' && s.k === tokenKey && typeof s.exp === 'number' && s.exp > now() ? s.u : null;
  };
  const audit = (ctx: Koa.Context, actor: string, action: string, target: string | null, detail: string | null) =>
    admin.audit({ at: now(), actor, ip: ctx.ip || 'unknown', action, target, detail });
  /** The signed-in actor, or null after answering 401 (a POST needs a session; it is never redirected into one). */
  const requireSession = (ctx: Koa.Context): string | null => {
    const who = signedIn(ctx);
    if (!who) html(ctx, 401, simple('请先登录', '登录已失效或尚未登录。', '/admin/login'));
    return who;
  };

  r.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  r.get('/admin', (ctx) => {
    ctx.status = 301;
    ctx.redirect('/admin/');
  });
  r.get('/admin/', async (ctx) => {
    if (!signedIn(ctx)) {
      ctx.status = 303;
      return ctx.redirect('/admin/login');
    }
    const snapshot = await readOperations(ops, now());
    html(ctx, 200, renderAdminPage(snapshot, { timezone: deps.config.timezone, notice: noticeOf(ctx.query) }));
  });
  r.get('/admin/login', (ctx) => {
    if (signedIn(ctx)) {
      ctx.status = 303;
      return ctx.redirect('/admin/');
    }
    html(ctx, 200, renderLoginPage({}));
  });
  r.post('/admin/login', async (ctx) => {
    const given = (await formOf(ctx))?.get('token') ?? '';
    if (!given || !sameSecret(given, token)) {
      (ctx.state.log ?? deps.log).warn({ ip: ctx.ip }, 'admin sign-in refused: wrong token');
      return html(ctx, 401, renderLoginPage({ error: '管理口令不正确。' }));
    }
    setCookie(ctx, signToken(secret, PURPOSE, { u: LOCAL_ACTOR, k: tokenKey, exp: now() + SESSION_TTL_MS }), SESSION_TTL_MS);
    await audit(ctx, LOCAL_ACTOR, 'admin.sign-in', null, '本地管理口令');
    (ctx.state.log ?? deps.log).info({ ip: ctx.ip }, 'admin sign-in');
    ctx.status = 303;
    ctx.redirect('/admin/');
  });
  r.post('/admin/logout', async (ctx) => {
    const who = signedIn(ctx);
    setCookie(ctx, '', 0);
    if (who) await audit(ctx, who, 'admin.sign-out', null, null);
    ctx.status = 303;
    ctx.redirect('/admin/login');
  });
  r.post('/admin/inbox/:id/retry', async (ctx) => {
    const who = requireSession(ctx);
    if (!who) return;
    const id = /^\d{1,15}$/.test(ctx.params.id) ? Number(ctx.params.id) : null;
    if (id === null) return html(ctx, 400, simple('无效的事件编号', `“${ctx.params.id.slice(0, 40)}”不是事件编号。`, '/admin/'));
    const before = await deps.inbox.get(id);
    if (!before || before.status !== 'dead' || !(await deps.inbox.retry(id, now()))) {
      ctx.status = 303;
      return ctx.redirect(`/admin/?err=not-dead&id=${id}`);
    }
    await audit(ctx, who, 'inbox.retry', `inbox_event:${id}`, `${before.kind}，${before.attempts} 次尝试后；最后错误：${(before.lastError ?? '').slice(0, 200)}`);
    ctx.status = 303;
    ctx.redirect(`/admin/?ok=retry&id=${id}`);
  });
  r.post('/admin/inbox/retry-dead', async (ctx) => {
    const who = requireSession(ctx);
    if (!who) return;
    const n = await deps.inbox.retryAllDead(now());
    await audit(ctx, who, 'inbox.retry-all-dead', null, `重新排队 ${n} 条死信`);
    ctx.status = 303;
    ctx.redirect(`/admin/?ok=retry-all&n=${n}`);
  });
  return r;
}

/** The sentence after an action; built from fixed texts and numbers only, never echoing the query. */
function noticeOf(q: Record<string, unknown>): { text: string; bad: boolean } | null {
  const n = (v: unknown) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? v : null);
  if (q.ok === 'retry' && n(q.id)) return { text: `事件 ${n(q.id)} 已重新排队，会按顺序重新处理。`, bad: false };
  if (q.ok === 'retry-all' && n(q.n)) return { text: `${n(q.n)} 条死信已重新排队。`, bad: false };
  if (q.err === 'not-dead' && n(q.id)) return { text: `事件 ${n(q.id)} 不是死信（可能已被其他人重试），没有改动。`, bad: true };
  return null;
}

async function formOf(ctx: Koa.Context): Promise<URLSearchParams | null> {
  try {
    return new URLSearchParams(await readBody(ctx, 4096));
  } catch (err) {
    if (err instanceof BodyTooLarge) return null;
    throw err;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const h = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(h(given), h(expected));
}

function html(ctx: Koa.Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', CSP);
  ctx.body = body;
}

function simple(title: string, detail: string, link: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:15px/1.6 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;background:#f3f4f6;margin:0;padding:48px 20px;color:#1d2129;text-align:center}h1{font-size:18px}p{color:#4e5969}a{color:#1a6dff}</style></head>
<body><h1>${esc(title)}</h1><p>${esc(detail)}</p><p><a href="${esc(link)}">返回</a></p></body></html>`;
}
