import Router from '@koa/router';
import type Koa from 'koa';
import { finishWecomSignIn, refusalPage, type WecomSignIn } from '../auth/wecom-sign-in';
import { loadViewer } from './access';
import type { SidebarContext } from './routes';
import { safeReturnPath, type OAuthState } from './session';
import { SIDEBAR_CSP } from './static-files';

/**
 * The WeCom client opens the sidebar as its own top-level WebView; only WeCom's web pages may
 * frame it (and Fencun itself). Every other page may not be framed at all (security headers).
 */
export const SIDEBAR_FRAME_ANCESTORS = "frame-ancestors 'self' https://work.weixin.qq.com https://*.work.weixin.qq.com";

/** Kept here for the digest's sign-in, which imports it from this module. */

const REOPEN = { href: '/sidebar/', label: '重新打开' };

/**
 * The page, its assets and sign-in. Opening /sidebar/ without a session goes straight to WeCom's
 * OAuth2 authorize page (snsapi_base: silent for members, API.md 4.18) and comes back signed in;
 * the rep's identity only ever comes from that exchange, never from the page.
 */
export function authRoutes(sc: SidebarContext): Router {
  const { deps, sessions, settings } = sc;
  // strict: /sidebar and /sidebar/ are different routes (one redirects to the other).
  const r = new Router({ strict: true });
  // The callback's steps and refusals are the console's too (auth/wecom-sign-in.ts); these are the sidebar's words.
  const signIn: WecomSignIn<OAuthState> = {
    name: 'sidebar sign-in',
    codeName: 'OAuth code',
    stateRefused: 'sidebar sign-in: OAuth state missing or not ours',
    finishState: (ctx, nonce) => sessions.finishOAuth(ctx, nonce),
    back: REOPEN,
    expired: ['登录已失效', '请关闭侧边栏后重新打开。'],
    notMember: ['仅限企业成员使用', '请使用企业微信成员身份打开本页面。'],
    failed: ['暂时无法登录', '企业微信身份校验失败，请稍后重新打开侧边栏。'],
  };

  function authorizeUrl(ctx: Koa.Context, returnTo: string): string {
    const state = sessions.beginOAuth(ctx, safeReturnPath(returnTo));
    const q = new URLSearchParams({
      appid: deps.config.wecom.corpId,
      redirect_uri: `${deps.config.publicBaseUrl}/sidebar/auth/callback`,
      response_type: 'code',
      scope: 'snsapi_base',
      state: state.n,
      agentid: String(deps.config.wecom.agentId),
    });
    // The #wechat_redirect suffix is required by WeCom's authorize page.
    return `${settings.oauthAuthorizeBase}/connect/oauth2/authorize?${q.toString()}#wechat_redirect`;
  }

  r.get('/sidebar', (ctx) => {
    ctx.status = 301;
    ctx.redirect('/sidebar/' + (ctx.querystring ? '?' + ctx.querystring : ''));
  });

  const page = async (ctx: Koa.Context) => {
    const signedIn = sessions.read(ctx).ok;
    const inWecom = /wxwork\//i.test(ctx.get('User-Agent'));
    // Outside WeCom in demo mode the page offers the demo picker instead of OAuth.
    if (!signedIn && !(deps.config.demo && !inWecom)) {
      ctx.set('Cache-Control', 'no-store');
      return ctx.redirect(authorizeUrl(ctx, ctx.originalUrl));
    }
    if (!(await sc.built())) return unavailable(ctx);
    ctx.set('Content-Security-Policy', `${SIDEBAR_CSP}; ${SIDEBAR_FRAME_ANCESTORS}`);
    // For browsers without CSP frame-ancestors (which, where supported, takes precedence over it).
    ctx.set('X-Frame-Options', 'SAMEORIGIN');
    ctx.set('Referrer-Policy', 'same-origin');
    if (!sc.files.send(ctx, 'index.html', 'no-cache')) unavailable(ctx);
  };
  r.get('/sidebar/', page);
  r.get('/sidebar/index.html', page);

  r.get('/sidebar/assets/:file', async (ctx) => {
    await sc.built();
    if (!/^[\w.-]+$/.test(ctx.params.file) || !sc.files.send(ctx, `assets/${ctx.params.file}`, 'public, max-age=31536000, immutable')) {
      ctx.status = 404;
      ctx.body = 'Not found';
    }
  });

  r.get('/sidebar/auth/start', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(authorizeUrl(ctx, String(ctx.query.to ?? '/sidebar/')));
  });

  r.get('/sidebar/auth/callback', async (ctx) => {
    const signedIn = await finishWecomSignIn(ctx, deps, signIn);
    if (!signedIn) return;
    const { userId, pending } = signedIn;
    const log = ctx.state.log ?? deps.log;
    const viewer = await loadViewer(deps.db, userId);
    if (!viewer) {
      log.warn({ userId }, 'sidebar sign-in refused: member has left');
      return refusalPage(ctx, 403, ['无法使用', '你的账号已不在本企业。'], REOPEN);
    }
    sessions.issue(ctx, userId);
    log.info({ userId, role: viewer.role }, 'sidebar sign-in');
    ctx.redirect(pending.to);
  });

  return r;
}

function unavailable(ctx: Koa.Context): void {
  ctx.status = 503;
  ctx.set('Retry-After', '10');
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = 'The sidebar page is not built yet: run `npm run build:sidebar` (the server log says why the automatic build failed).';
}
