import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Database } from '../db/database';
import { pendingMigrations } from '../db/migrate';
import { errorMessage } from '../errors';
import type { InboxRepository } from '../inbox/repository';
import type { Clock } from '../clock';
import type { Metrics } from './metrics';

export interface OpsDeps {
  db: Database;
  inbox: InboxRepository;
  metrics: Metrics;
  clock: Clock;
  /** FENCUN_METRICS_TOKEN: when set, /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken?: string;
}

const READY_TIMEOUT_MS = 2_000;

/** Health for the process, readiness for the database, Prometheus metrics. */
export function opsRoutes(deps: OpsDeps): Router {
  const router = new Router();

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    try {
      await withTimeout(deps.db.query('SELECT 1 AS ok'), READY_TIMEOUT_MS, 'database did not answer within 2s');
      if (await withTimeout(pendingMigrations(deps.db.ds), READY_TIMEOUT_MS, 'migration check timed out')) {
        ctx.status = 503;
        ctx.body = { status: 'unready', reason: 'migrations pending: run npx fencun migrate' };
        return;
      }
      ctx.body = { status: 'ready' };
    } catch (err) {
      // The driver's message names the host and the user; it goes to the log, not to whoever asks.
      ctx.state.log?.warn({ err: errorMessage(err) }, 'readiness check failed: database unreachable');
      ctx.status = 503;
      ctx.body = { status: 'unready', reason: 'database unreachable; the server log has the detail', requestId: ctx.state.reqId };
    }
  });

  router.get('/metrics', async (ctx) => {
    if (deps.metricsToken && !bearerMatches(ctx.get('Authorization'), deps.metricsToken)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="fencun-metrics"');
      ctx.body = { code: 'UNAUTHORIZED', message: 'send "Authorization: Bearer <FENCUN_METRICS_TOKEN>"', requestId: ctx.state.reqId };
      return;
    }
    try {
      const counts = await deps.inbox.countsByStatus();
      for (const [status, n] of Object.entries(counts)) deps.metrics.inboxDepth.set({ status }, n);
      const oldest = await deps.inbox.oldestUnfinishedReceivedAt();
      deps.metrics.inboxOldestAge.set(oldest === null ? 0 : Math.max(0, deps.clock().getTime() - oldest) / 1000);
    } catch {
      // Metrics stay scrapeable while the database is down; the inbox gauges keep their last value.
    }
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });

  return router;
}

function bearerMatches(header: string, expected: string): boolean {
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
  const h = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(h(given), h(expected));
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
