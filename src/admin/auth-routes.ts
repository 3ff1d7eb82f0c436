import Router from '@koa/router';
import type Koa from 'koa';
import { finishWecomSignIn, refusalPage, type RefusalText, type WecomSignIn } from '../auth/wecom-sign-in';
import type { Services } from '../services';
import { consoleContext } from './context';

/**
 * WeCom web login for the console (wecom/API.md 4.19): /admin/auth/wecom/start sends the browser
 * to WeCom's login page (a QR code for the WeCom app on the phone; the bundled simulator lists
 * the corp's members instead) with a state bound to this browser by a signed cookie; WeCom
 * comes back to /admin/auth/wecom/callback with a code, exchanged with auth/getuserinfo for
 * the member's userid (the exchange and its refusals are the sidebar's too: auth/wecom-sign-in.ts).
 * Only members named in config/admin.json get a session; the state is single-use across
 * instances (auth.ts).
 */

const BACK_TO_LOGIN = { href: '/admin/login', label: '返回登录' };

export function adminAuthRoutes(s: Services): Router {
  const r = new Router({ strict: true });
  const c = consoleContext(s);
  if (!c.enabled) return r;
  const signIn: WecomSignIn<string> = {
    name: 'console sign-in',
    codeName: 'code',
    stateRefused: 'console sign-in: state missing, expired, used or not this browser\'s',
    finishState: (ctx, nonce) => c.sessions.finishOAuth(ctx, nonce),
    back: BACK_TO_LOGIN,
    expired: ['登录已失效', '请回到登录页重新扫码。'],
    notMember: ['仅限企业成员', '请使用本企业的企业微信账号扫码。'],
    failed: ['暂时无法登录', '企业微信身份校验失败，请稍后再试。'],
  };

  r.get('/admin/auth/wecom/start', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (c.roles.size === 0) return page(ctx, 404, ['未开启企业微信登录', 'config/admin.json 中还没有控制台成员；首次设置请用管理口令登录。']);
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
    const signedIn = await finishWecomSignIn(ctx, s, signIn);
    if (!signedIn) return;
    const { userId, pending: to } = signedIn;
    const log = ctx.state.log ?? s.log;
    const role = c.roles.of(userId);
    if (!role) {
      log.warn({ userId }, 'console sign-in refused: member not listed in config/admin.json');
      return page(ctx, 403, ['没有控制台权限', '你的企业微信账号不在控制台成员名单中，请联系管理员。']);
    }
    c.sessions.issue(ctx, userId, 'wecom');
    await c.auditor.record(ctx, userId, { action: 'admin.sign-in', detail: `企业微信扫码（${role}）`, after: { role } });
    log.info({ userId, role }, 'console sign-in');
    ctx.status = 303;
    ctx.redirect(to);
  });
  return r;
}

function page(ctx: Koa.Context, status: number, text: RefusalText): void {
  refusalPage(ctx, status, text, BACK_TO_LOGIN);
}
