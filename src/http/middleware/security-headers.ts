import type Koa from 'koa';

/** Paths whose answers carry personal data or sign-in state: never stored by a browser or proxy. */
const PRIVATE_PATH = /^\/(api\/|sidebar\/api\/|sidebar\/auth\/|digest\/api\/|digest\/auth\/)/;

/**
 * Headers every answer gets. `nosniff` so a JSON body with a customer's text is never run as a
 * script or page; `no-store` on everything personal; framing refused unless the page itself says
 * where it may be framed (the sidebar does, for WeCom); HSTS only when users reach Fencun over
 * https (PUBLIC_BASE_URL), since HSTS on plain http would lock an http-only install out.
 */
export function securityHeaders(o: { publicBaseUrl: string }): Koa.Middleware {
  const https = o.publicBaseUrl.startsWith('https:');
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      if (!ctx.response.get('X-Frame-Options')) ctx.set('X-Frame-Options', 'DENY');
      if (!ctx.response.get('Referrer-Policy')) ctx.set('Referrer-Policy', 'same-origin');
      const csp = ctx.response.get('Content-Security-Policy');
      if (csp && !/frame-ancestors/.test(csp)) ctx.set('Content-Security-Policy', `${csp}; frame-ancestors 'none'`);
      if (PRIVATE_PATH.test(ctx.path)) ctx.set('Cache-Control', 'no-store');
      if (https) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    }
  };
}
