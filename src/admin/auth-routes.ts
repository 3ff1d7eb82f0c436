import Router from '@koa/router';
import type Koa from 'koa';
import { AppError } from '../errors';
import type { Services } from '../services';
import { WecomError } from '../wecom/errors';
import { consoleContext } from './context';

/**
 * WeCom web login for the console (wecom/API.md 4.19): /admin/auth/wecom/start sends the browser
 * to WeCom's login page (a QR code for the WeCom app on the phone; the bundled simulator lists
 * the corp's members instead) with a state bound to this browser by a signed cookie; WeCom
 * comes back to /admin/auth/wecom/callback with a code, exchanged with auth/getuserinfo for
 * the member's userid. Only members named in config/admin.json get a session; the state is
 * single-use across instances (auth.ts).
 */

/** auth/getuserinfo errcodes for a code that is wrong, expired (40029) or already used (40163). */
const USED_OR_INVALID_CODE = new Set([40029, 40163]);

export function adminAuthRoutes(s: Services): Router {
  const r = new Router({ strict: true });
  const c = consoleContext(s);
  if (!c.enabled) return r;

  r.get('/admin/auth/wecom/start', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (c.roles.size === 0) return page(ctx, 404, '未开启企业微信登录', 'config/admin.json 中还没有控制台成员；首次设置请用管理口令登录。');
    const state = c.sessions.beginOAuth(ctx, String(ctx.query.to ?? '/admin/'));
    const q = new URLSearchParams({
      login_type: 'CorpApp',
      appid: s.config.wecom.corpId,
      agentid: String(s.config.wecom.agentId),
      redirect_uri: `${s.config.publicBaseUrl}/admin/auth/wecom/callback`,
      state,
    });
    ctx.redirect(`${c.loginBase}/wwlogin/sso/login?${q.toString()}`);
  });

  r.get('/admin/auth/wecom/callback', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const log = ctx.state.log ?? s.log;
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : '';
    const nonce = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const to = await c.sessions.finishOAuth(ctx, nonce);
    if (!to || !code) {
      log.warn({ hasCode: !!code }, 'console sign-in: state missing, expired, used or not this browser\'s');
      return page(ctx, 400, '登录已失效', '请回到登录页重新扫码。');
    }
    let userId: string;
    try {
      userId = (await s.wecom.getUserInfoByCode(code)).userId;
    } catch (err) {
      if (err instanceof WecomError && err.errcode !== null && USED_OR_INVALID_CODE.has(err.errcode)) {
        log.warn({ errcode: err.errcode }, 'console sign-in: WeCom says the code is invalid or used');
        return page(ctx, 400, '登录已失效', '请回到登录页重新扫码。');
      }
      if (err instanceof AppError && err.status === 403) {
        log.warn({ code: err.code }, 'console sign-in refused: not a member of the corp');
        return page(ctx, 403, '仅限企业成员', '请使用本企业的企业微信账号扫码。');
      }
      log.error({ err: (err as Error).message }, 'console sign-in: WeCom code exchange failed');
      return page(ctx, 502, '暂时无法登录', '企业微信身份校验失败，请稍后再试。');
    }
    const role = c.roles.of(userId);
    if (!role) {
      log.warn({ userId }, 'console sign-in refused: member not listed in config/admin.json');
      return page(ctx, 403, '没有控制台权限', '你的企业微信账号不在控制台成员名单中，请联系管理员。');
    }
    c.sessions.issue(ctx, userId, 'wecom');
    await c.auditor.record(ctx, userId, { action: 'admin.sign-in', detail: `企业微信扫码（${role}）`, after: { role } });
    log.info({ userId, role }, 'console sign-in');
    ctx.status = 303;
    ctx.redirect(to);
  });
  return r;
}

function page(ctx: Koa.Context, status: number, title: string, detail: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  ctx.body = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>body{font:15px/1.6 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;background:#f3f4f6;margin:0;padding:48px 20px;color:#1d2129;text-align:center}
h1{font-size:18px}p{color:#4e5969}a{display:inline-block;margin-top:16px;padding:10px 24px;border-radius:10px;background:#1a6dff;color:#fff;text-decoration:none}</style></head>
<body><h1>${title}</h1><p>${detail}</p><a href="/admin/login">返回登录</a></body></html>`;
}
