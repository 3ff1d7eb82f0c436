import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Log } from '../../log';
import type { Metrics } from '../../ops/metrics';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives each request an id (from X-Request-Id when sane), a child logger on ctx.state.log,
 * an access log line and a latency observation labelled by route pattern (not raw URL, which
 * would explode label cardinality).
 */
export function requestContext(log: Log, metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    const given = ctx.get('X-Request-Id');
    const reqId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state.reqId = reqId;
    ctx.state.log = log.child({ reqId });
    ctx.set('X-Request-Id', reqId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.httpDuration.observe({ method: ctx.method, route: String(route), status: String(ctx.status) }, seconds);
      if (route !== '/metrics' && route !== '/healthz') {
        ctx.state.log.debug({ method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1000) }, 'request');
      }
    }
  };
}
