import { isIP } from 'node:net';
import type Koa from 'koa';
import { normalizeIp } from '../../config';

/**
 * Who the client is. X-Forwarded-For is anyone's to write, so it is read only when the socket's
 * peer is one of the configured proxies (FENCUN_TRUSTED_PROXIES), and then from the right: the
 * first address not itself a trusted proxy is the client. Everything keyed by client (rate limits,
 * refusal logs) uses ctx.ip, which this sets.
 */
export function clientIp(trustedProxies: readonly string[]): Koa.Middleware {
  const trusted = new Set(trustedProxies.map(normalizeIp));
  return async (ctx, next) => {
    ctx.request.ip = resolveClientIp(ctx.req.socket.remoteAddress ?? '', ctx.get('X-Forwarded-For'), trusted);
    await next();
  };
}

export function resolveClientIp(peer: string, forwardedFor: string, trusted: ReadonlySet<string>): string {
  let ip = normalizeIp(peer);
  if (!trusted.has(ip) || !forwardedFor) return ip;
  const chain = forwardedFor.split(',').map(normalizeIp).filter(Boolean);
  for (let i = chain.length - 1; i >= 0; i--) {
    // A hop that is not an address at all was written by someone we do not trust: stop there.
    if (isIP(chain[i]) === 0) break;
    ip = chain[i];
    if (!trusted.has(ip)) break;
  }
  return ip;
}
