import { createHash } from 'node:crypto';
import Koa from 'koa';
import { adminApiRoutes } from '../admin/api-routes';
import { adminAuthRoutes } from '../admin/auth-routes';
import { adminRoutes } from '../admin/routes';
import { consoleStaticRoutes } from '../admin/console-static';
import { callbackRoutes } from '../callback/routes';
import { campaignRoutes } from '../campaigns/routes';
import { dataApiRoutes } from '../data-api/routes';
import { digestServiceOf } from '../digest/job';
import { digestRoutes } from '../digest/routes';
import { groupContentRoutes } from '../group-content/routes';
import { scriptRoutes } from '../scripts/routes';
import { materialRoutes } from '../materials/routes';
import { opsRoutes } from '../ops/routes';
import { sidebarRoutes } from '../sidebar-api/routes';
import type { Services } from '../services';
import { clientIp } from './middleware/client-ip';
import { errorHandler } from './middleware/error-handler';
import { RATE_LIMITS, rateLimit, RateLimiter, type RateLimitRule } from './middleware/rate-limit';
import { requestContext } from './middleware/request-context';
import { sameOriginMutations } from './middleware/same-origin';
import { securityHeaders } from './middleware/security-headers';

const MINUTE = 60_000;
const SESSION_COOKIES = ['fc_sidebar', 'fc_digest'];

/** Builds the Koa app (no listening: tests and main decide where it listens). */
export function createHttpApp(s: Services): Koa {
  // No app.proxy: X-Forwarded-* are believed only from FENCUN_TRUSTED_PROXIES (clientIp).
  const app = new Koa();
  // Koa's default error log would print stacks to stderr; errors are logged by errorHandler.
  app.silent = true;
  app.use(clientIp(s.config.trustedProxies));
  app.use(requestContext(s.log, s.metrics));
  app.use(securityHeaders({ publicBaseUrl: s.config.publicBaseUrl }));
  app.use(rateLimit(rateLimitRules()));
  app.use(errorHandler());
  app.use(sameOriginMutations({ publicBaseUrl: s.config.publicBaseUrl }));
  const routers = [
    opsRoutes({ db: s.db, inbox: s.inbox, metrics: s.metrics, clock: s.clock, metricsToken: s.config.metricsToken }),
    callbackRoutes({ wecom: s.config.wecom, limits: s.config.callback, writer: s.writer, clock: s.clock, metrics: s.metrics }),
    campaignRoutes(s),
    groupContentRoutes(s),
    scriptRoutes(s),
    materialRoutes(s),
    dataApiRoutes({ db: s.db, config: s.config, clock: s.clock }),
    sidebarRoutes({ config: s.config, db: s.db, clock: s.clock, log: s.log, wecom: s.wecom, judgement: s.judgement, reminders: s.reminders }),
    digestRoutes({ config: s.config, clock: s.clock, log: s.log, wecom: s.wecom, digests: digestServiceOf(s) }),
    adminRoutes(s),
    adminAuthRoutes(s),
    adminApiRoutes(s),
    consoleStaticRoutes({ log: s.log }),
  ];
  for (const r of routers) app.use(r.routes()).use(r.allowedMethods());
  return app;
}

/**
 * Who may ask how often (per minute). Refusals are counted per address, so wrong tokens, forged
 * cookies and forged callbacks stop costing anything after a few; a signed-in rep's own burst is
 * counted per session, so one office behind one NAT address is not one budget.
 */
function rateLimitRules(): RateLimitRule[] {
  const limiter = (limit: number) => new RateLimiter({ limit, windowMs: MINUTE });
  const ip = (ctx: Koa.Context) => ctx.ip || 'unknown';
  const guarded = (p: string) => /^\/(api|sidebar|digest|admin|metrics)(\/|$)/.test(p);
  return [
    {
      name: 'callback-refusals', applies: (ctx) => ctx.path === '/wecom/callback', key: ip,
      limiter: limiter(RATE_LIMITS.callbackRefusals), counts: 'refusals', refusals: (st) => st >= 400 && st < 500 && st !== 429,
    },
    {
      name: 'auth-failures', applies: (ctx) => guarded(ctx.path), key: ip,
      limiter: limiter(RATE_LIMITS.authFailures), counts: 'refusals', refusals: (st) => st === 401 || st === 403,
    },
    {
      name: 'oauth-failures', applies: (ctx) => /^\/(sidebar|digest|admin)\/auth\//.test(ctx.path), key: ip,
      limiter: limiter(RATE_LIMITS.authFailures), counts: 'refusals', refusals: (st) => st === 400,
    },
    {
      name: 'session-requests', applies: (ctx) => /^\/(sidebar|digest)\/api\//.test(ctx.path),
      key: (ctx) => {
        const cookie = SESSION_COOKIES.map((n) => ctx.cookies.get(n)).find(Boolean);
        return cookie ? 'c:' + createHash('sha256').update(cookie).digest('base64url').slice(0, 22) : 'ip:' + ip(ctx);
      },
      limiter: limiter(RATE_LIMITS.sessionRequests), counts: 'all',
    },
    {
      name: 'machine-requests', applies: (ctx) => ctx.path.startsWith('/api/'), key: ip,
      limiter: limiter(RATE_LIMITS.machineRequests), counts: 'all',
    },
  ];
}
