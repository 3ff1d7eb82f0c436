import type Koa from 'koa';
import { AppError } from '../../errors';

/** Cookie-authenticated pages: the sidebar, the digest and the console. Machine APIs use a bearer token a browser never attaches by itself. */
const COOKIE_AUTHENTICATED = /^\/(sidebar|digest|admin)(\/|$)/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a state-changing request that a browser sent on behalf of another site. SameSite=Lax
 * keeps the session cookie off cross-site POSTs in current browsers, but not in every WebView and
 * not for a sibling subdomain; Origin and Sec-Fetch-Site say who started the request, and browsers
 * send at least one of them on every cross-origin POST. A request with neither is not from a
 * browser page, so it cannot be riding a rep's cookie.
 */
export function sameOriginMutations(o: { publicBaseUrl: string }): Koa.Middleware {
  const publicOrigin = new URL(o.publicBaseUrl).origin;
  return async (ctx, next) => {
    if (!SAFE_METHODS.has(ctx.method) && COOKIE_AUTHENTICATED.test(ctx.path)) {
      const site = ctx.get('Sec-Fetch-Site');
      const origin = ctx.get('Origin');
      if (site && site !== 'same-origin' && site !== 'none') throw crossSite(ctx, `Sec-Fetch-Site ${site}`);
      if (origin && !sameOrigin(origin, publicOrigin, ctx.host)) throw crossSite(ctx, `Origin ${origin.slice(0, 100)}`);
    }
    await next();
  };
}

function sameOrigin(origin: string, publicOrigin: string, host: string): boolean {
  if (origin === publicOrigin) return true;
  try {
    // The page as this request reached it (a second public name, or a direct port in the demo).
    return new URL(origin).host === host && host !== '';
  } catch {
    return false;
  }
}

function crossSite(ctx: Koa.Context, why: string): AppError {
  ctx.state.log?.warn({ path: ctx.path, method: ctx.method, why, ip: ctx.ip }, 'cross-site request refused');
  return new AppError('CROSS_SITE', 'this request did not come from the Fencun page itself; reload the sidebar and try again', { status: 403 });
}
