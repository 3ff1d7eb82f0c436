import Router from '@koa/router';
import type Koa from 'koa';
import type { SimulatorAdmin } from './admin';
import type { SimState } from './state';

/**
 * WeCom's web login for desktop pages (wecom/API.md 4.19), simulated: where WeCom shows a QR code
 * to scan with the WeCom app, this page lists the corp's members; "scanning" as one issues a
 * single-use code (as auth/getuserinfo expects it) and sends the browser back to redirect_uri
 * with code and state, as WeCom does. The older qrConnect path answers the same.
 */
export function webLoginRoutes(admin: SimulatorAdmin, state: SimState, corpId: string): Router {
  const r = new Router();
  const page = (ctx: Koa.Context) => {
    const q = ctx.query as Record<string, string | undefined>;
    const appid = q.appid ?? q.corpid;
    if (appid !== corpId || !q.redirect_uri || !/^https?:\/\//.test(q.redirect_uri)) {
      ctx.status = 400;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = `<!doctype html><meta charset="utf-8"><p>参数错误：appid 必须是本企业的 CorpID，redirect_uri 必须是 http(s) 地址。</p>`;
      return;
    }
    const members = [...state.users.values()].sort((a, b) => a.userId.localeCompare(b.userId));
    const link = (userId: string) => `/wwlogin/sso/scan?${new URLSearchParams({ userid: userId, redirect_uri: q.redirect_uri!, state: q.state ?? '' }).toString()}`;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>企业微信登录（模拟）</title>
<style>body{font:14px/1.6 -apple-system,'PingFang SC',sans-serif;background:#f3f4f6;margin:0;padding:40px}main{max-width:420px;margin:auto;background:#fff;border-radius:12px;padding:24px}
ul{list-style:none;padding:0}li a{display:block;padding:8px 12px;border-radius:8px;color:#1d2129;text-decoration:none}li a:hover,li a:focus-visible{background:#e8f3ff}</style></head>
<body><main><h1>企业微信扫码登录（模拟器）</h1><p>选择要以哪位成员身份“扫码”：</p><ul>${members.map((m) =>
  `<li><a data-userid="${esc(m.userId)}" href="${esc(link(m.userId))}">${esc(m.name)} <small>${esc(m.userId)}</small></a></li>`).join('')}</ul></main></body></html>`;
  };
  r.get('/wwlogin/sso/login', page);
  r.get('/wwopen/sso/qrConnect', page);
  r.get('/wwlogin/sso/scan', (ctx) => {
    const q = ctx.query as Record<string, string | undefined>;
    if (!q.userid || !state.users.has(q.userid) || !q.redirect_uri || !/^https?:\/\//.test(q.redirect_uri)) {
      ctx.status = 400;
      ctx.body = 'need a member userid and redirect_uri';
      return;
    }
    const code = admin.issueOAuthCode({ userId: q.userid });
    const back = new URL(q.redirect_uri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.state ?? '');
    ctx.redirect(back.toString());
  });
  return r;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
