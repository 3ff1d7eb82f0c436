import Router from '@koa/router';
import type Koa from 'koa';
import { AppError } from '../errors';
import { WecomError } from '../wecom/errors';
import { loadViewer } from './access';
import type { SidebarContext } from './routes';
import { safeReturnPath } from './session';
import { SIDEBAR_CSP } from './static-files';

/**
 * The WeCom client opens the sidebar as its own top-level WebView; only WeCom's web pages may
 * frame it (and Fencun itself). Every other page may not be framed at all (security headers).
 */
export const SIDEBAR_FRAME_ANCESTORS = "frame-ancestors 'self' https://work.weixin.qq.com https://*.work.weixin.qq.com";

/** auth/getuserinfo errcodes for a code that is wrong, expired (40029) or already used (40163). */
export const USED_OR_INVALID_CODE = new Set([40029, 40163]);

/**
 * The page, its assets and sign-in. Opening /sidebar/ without a session goes straight to WeCom's
 * OAuth2 authorize page (snsapi_base: silent for members, API.md 4.18) and comes back signed in;
 * the rep's identity only ever comes from that exchange, never from the page.
 */
export function authRoutes(sc: SidebarContext): Router {
  const { deps, sessions, settings } = sc;
  // strict: /sidebar and /sidebar/ are different routes (one redirects to the other).
  const r = new Router({ strict: true });

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
    ctx.set('Cache-Control', 'no-store');
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : '';
    const nonce = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const pending = sessions.finishOAuth(ctx, nonce);
    const log = ctx.state.log ?? deps.log;
    if (!pending || !code) {
      log.warn({ hasCode: !!code }, 'sidebar sign-in: OAuth state missing or not ours');
      return failPage(ctx, 400, '登录已失效', '请关闭侧边栏后重新打开。');
    }
    let userId: string;
    try {
      userId = (await deps.wecom.getUserInfoByCode(code)).userId;
    } catch (err) {
      if (err instanceof WecomError && err.errcode !== null && USED_OR_INVALID_CODE.has(err.errcode)) {
        // A stale, reused or made-up code is the visitor's problem, not WeCom being down.
        log.warn({ errcode: err.errcode }, 'sidebar sign-in: WeCom says the OAuth code is invalid or used');
        return failPage(ctx, 400, '登录已失效', '请关闭侧边栏后重新打开。');
      }
      if (err instanceof AppError && err.status === 403) {
        log.warn({ code: err.code }, 'sidebar sign-in refused: not a member of the corp');
        return failPage(ctx, 403, '仅限企业成员使用', '请使用企业微信成员身份打开本页面。');
      }
      log.error({ err: (err as Error).message }, 'sidebar sign-in: WeCom code exchange failed');
      return failPage(ctx, 502, '暂时无法登录', '企业微信身份校验失败，请稍后重新打开侧边栏。');
    }
    const viewer = await loadViewer(deps.db, userId);
    if (!viewer) {
      log.warn({ userId }, 'sidebar sign-in refused: member has left');
      return failPage(ctx, 403, '无法使用', '你的账号已不在本企业。');
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

function failPage(ctx: Koa.Context, status: number, title: string, detail: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  ctx.body = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>body{font:15px/1.6 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;background:#f3f4f6;margin:0;padding:48px 20px;color:#1d2129;text-align:center}
h1{font-size:18px}p{color:#4e5969}a{display:inline-block;margin-top:16px;padding:10px 24px;border-radius:10px;background:#1a6dff;color:#fff;text-decoration:none}</style></head>
<body><h1>${title}</h1><p>${detail}</p><a href="/sidebar/">重新打开</a></body></html>`;
}
