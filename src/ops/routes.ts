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
      ctx.status = 503;
      ctx.body = { status: 'unready', reason: `database unreachable: ${errorMessage(err)}` };
    }
  });

  router.get('/metrics', async (ctx) => {
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

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
