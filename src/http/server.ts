import Koa from 'koa';
import { callbackRoutes } from '../callback/routes';
import { campaignRoutes } from '../campaigns/routes';
import { dataApiRoutes } from '../data-api/routes';
import { digestServiceOf } from '../digest/job';
import { digestRoutes } from '../digest/routes';
import { opsRoutes } from '../ops/routes';
import { sidebarRoutes } from '../sidebar-api/routes';
import type { Services } from '../services';
import { errorHandler } from './middleware/error-handler';
import { requestContext } from './middleware/request-context';

/** Builds the Koa app (no listening: tests and main decide where it listens). */
export function createHttpApp(s: Services): Koa {
  const app = new Koa({ proxy: true });
  // Koa's default error log would print stacks to stderr; errors are logged by errorHandler.
  app.silent = true;
  app.use(requestContext(s.log, s.metrics));
  app.use(errorHandler());
  const routers = [
    opsRoutes({ db: s.db, inbox: s.inbox, metrics: s.metrics, clock: s.clock }),
    callbackRoutes({ wecom: s.config.wecom, limits: s.config.callback, writer: s.writer, clock: s.clock, metrics: s.metrics }),
    campaignRoutes(s),
    dataApiRoutes({ db: s.db, config: s.config, clock: s.clock }),
    sidebarRoutes({ config: s.config, db: s.db, clock: s.clock, log: s.log, wecom: s.wecom, judgement: s.judgement, reminders: s.reminders }),
    digestRoutes({ config: s.config, clock: s.clock, log: s.log, wecom: s.wecom, digests: digestServiceOf(s) }),
  ];
  for (const r of routers) app.use(r.routes()).use(r.allowedMethods());
  return app;
}
