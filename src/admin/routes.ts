import Router from '@koa/router';
import type Koa from 'koa';
import { BodyTooLarge, readBody } from '../http/read-body';
import type { InboxRow } from '../inbox/repository';
import { JobRunRepository } from '../jobs/repository';
import { OutboxRepository } from '../outbox/repository';
import type { Services } from '../services';
import { LOCAL_ACTOR } from './auth';
import { consoleContext, operatorOf } from './context';
import { readOperations, type OperationsDeps } from './operations';
import { renderAdminPage, renderLoginPage } from './page';
import { allows } from './roles';
import { sameSecretText } from './secret';

/**
 * The operators' console (/admin/), its server-rendered Operations page and the local-token
 * sign-in. Sign-in for first set-up is the local admin token FENCUN_ADMIN_TOKEN, typed once into
 * the form; members named in config/admin.json sign in with WeCom (auth-routes.ts). Either buys
 * a signed, httpOnly session cookie on path /admin (auth.ts). With neither a token nor members
 * the console does not exist (404), so an install that never set it up has no password page to
 * guess at. Wrong tokens are 401s, which the auth-failure rate limit counts per address; every
 * POST passes the same-origin check (sameOriginMutations), and every change is audited.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

export function adminRoutes(s: Services): Router {
  const r = new Router({ strict: true });
  const c = consoleContext(s);
  if (!c.enabled) return r;
  const deps = s;
  const ops: OperationsDeps = { inbox: s.inbox, outbox: new OutboxRepository(s.db), jobs: new JobRunRepository(s.db), admin: c.repo, metrics: s.metrics };
  const now = () => s.clock().getTime();
  const signedIn = (ctx: Koa.Context) => operatorOf(c, ctx);
  const audit = (ctx: Koa.Context, actor: string, action: string, target: string | null, detail: string | null) =>
    c.auditor.record(ctx, actor, { action, target, detail });
  /** The signed-in operator, or null after answering 401/403 (a POST needs a session; it is never redirected into one). */
  const requireOperator = (ctx: Koa.Context): string | null => {
    const who = signedIn(ctx);
    if (!who) {
      html(ctx, 401, simple('请先登录', '登录已失效或尚未登录。', '/admin/login'));
      return null;
    }
    if (!allows(who.role, 'operator')) {
      html(ctx, 403, simple('没有权限', '这项操作需要运营或管理员权限。', '/admin/'));
      return null;
    }
    return who.id;
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
    html(ctx, 200, renderLoginPage({ token: c.tokenLogin, wecom: c.roles.size > 0 }));
  });
  r.post('/admin/login', async (ctx) => {
    if (!c.tokenLogin) return html(ctx, 404, simple('没有本地口令', '本服务器没有设置 FENCUN_ADMIN_TOKEN，请用企业微信登录。', '/admin/login'));
    const given = (await formOf(ctx))?.get('token') ?? '';
    if (!given || !sameSecretText(given, deps.config.adminToken)) {
      (ctx.state.log ?? deps.log).warn({ ip: ctx.ip }, 'admin sign-in refused: wrong token');
      return html(ctx, 401, renderLoginPage({ token: true, wecom: c.roles.size > 0, error: '管理口令不正确。' }));
    }
    c.sessions.issue(ctx, LOCAL_ACTOR, 'token');
    await audit(ctx, LOCAL_ACTOR, 'admin.sign-in', null, '本地管理口令');
    (ctx.state.log ?? deps.log).info({ ip: ctx.ip }, 'admin sign-in');
    ctx.status = 303;
    ctx.redirect('/admin/');
  });
  r.post('/admin/logout', async (ctx) => {
    const who = signedIn(ctx);
    c.sessions.clear(ctx);
    if (who) await audit(ctx, who.id, 'admin.sign-out', null, null);
    ctx.status = 303;
    ctx.redirect('/admin/login');
  });
  r.post('/admin/inbox/:id/retry', async (ctx) => {
    const who = requireOperator(ctx);
    if (!who) return;
    const id = /^\d{1,15}$/.test(ctx.params.id) ? Number(ctx.params.id) : null;
    if (id === null) return html(ctx, 400, simple('无效的事件编号', `“${ctx.params.id.slice(0, 40)}”不是事件编号。`, '/admin/'));
    const before = await retryDead(s, id, now());
    if (!before) {
      ctx.status = 303;
      return ctx.redirect(`/admin/?err=not-dead&id=${id}`);
    }
    await c.auditor.record(ctx, who, retriedAudit(id, before));
    ctx.status = 303;
    ctx.redirect(`/admin/?ok=retry&id=${id}`);
  });
  r.post('/admin/inbox/retry-dead', async (ctx) => {
    const who = requireOperator(ctx);
    if (!who) return;
    const n = await deps.inbox.retryAllDead(now());
    await c.auditor.record(ctx, who, { action: 'inbox.retry-all-dead', detail: `重新排队 ${n} 条死信`, after: { requeued: n } });
    ctx.status = 303;
    ctx.redirect(`/admin/?ok=retry-all&n=${n}`);
  });
  return r;
}

/** Requeues a dead event; the event as it was, or null when it was not dead (someone retried it first). */
export async function retryDead(s: Services, id: number, now: number): Promise<InboxRow | null> {
  const before = await s.inbox.get(id);
  if (!before || before.status !== 'dead' || !(await s.inbox.retry(id, now))) return null;
  return before;
}

export function retriedAudit(id: number, before: InboxRow) {
  return {
    action: 'inbox.retry', target: `inbox_event:${id}`, detail: `${before.kind}，${before.attempts} 次尝试后；最后错误：${(before.lastError ?? '').slice(0, 200)}`,
    before: { status: 'dead', attempts: before.attempts, lastError: (before.lastError ?? '').slice(0, 500) }, after: { status: 'pending' },
  };
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
