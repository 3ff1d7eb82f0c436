import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { AppError } from '../errors';
import type { Log } from '../log';

/**
 * Bearer-token guard for the machine-to-machine data APIs (orders, archive ingest). With no
 * FENCUN_API_TOKEN configured the APIs are closed: they carry customer PII.
 */
export function requireApiToken(getToken: () => string): Koa.Middleware {
  return async (ctx, next) => {
    const log: Log = ctx.state.log;
    const expected = getToken();
    const header = ctx.get('Authorization');
    const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
    const refuse = (reason: string, message: string) => {
      log.warn({ reason, path: ctx.path, ip: ctx.ip }, `data API refused: ${message}`);
      ctx.set('WWW-Authenticate', 'Bearer realm="fencun"');
      throw new AppError('UNAUTHORIZED', message, { status: 401 });
    };
    if (!expected) refuse('not_configured', 'the data API is disabled: set FENCUN_API_TOKEN on the server to enable it');
    if (!given) refuse('missing_token', 'send the API token as "Authorization: Bearer <FENCUN_API_TOKEN>"');
    if (!sameSecret(given, expected)) refuse('bad_token', 'the API token is wrong');
    await next();
  };
}

/** Constant-time comparison that does not leak the token's length either. */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}
