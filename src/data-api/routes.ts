import Router from '@koa/router';
import type Koa from 'koa';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import { BodyTooLarge, jsonNestsDeeperThan, readBody } from '../http/read-body';
import { ingestArchiveRecords, MAX_ARCHIVE_BATCH, readArchiveWatermark, validateArchiveRecords } from '../messages/archive';
import { importOrders } from '../orders/service';
import { ApiOrderBatch, MAX_ORDERS_PER_REQUEST, validateApiOrders } from '../orders/validate';
import { ApiAttributeBatch, MAX_ATTRIBUTES_PER_REQUEST, validateApiAttributes } from '../reminders/attributes';
import { upsertCustomerAttributes } from '../reminders/repository';
import { getTimeline } from '../timeline/timeline';
import { requireApiToken } from './auth';

export interface DataApiDeps {
  db: Database;
  config: Pick<Config, 'apiToken' | 'timezone'>;
  clock: Clock;
}

/** 1000 archive records with long texts; orders are smaller. */
const ARCHIVE_BODY_LIMIT = 16 * 1024 * 1024;
const ORDERS_BODY_LIMIT = 4 * 1024 * 1024;
/** Records are a few levels deep (batch → record → items → item → value); 32 is generous. */
const MAX_JSON_DEPTH = 32;

/**
 * Machine-to-machine data APIs, all behind `Authorization: Bearer <FENCUN_API_TOKEN>`:
 *   POST /api/archive/messages   decrypted 会话存档 records (≤1000), idempotent by msgid
 *   GET  /api/archive/status     the ingest watermark (highest seq, last msgaudit_notify)
 *   POST /api/orders             orders (≤1000), idempotent by order_id
 *   POST /api/customers/attributes  birthdays and anniversaries (≤1000), idempotent by external_user_id
 *   GET  /api/customers/:externalUserId/timeline?before=&limit=
 * A batch with any invalid record is refused whole (422, every problem listed): nothing half-written.
 */
export function dataApiRoutes(deps: DataApiDeps): Router {
  const router = new Router({ prefix: '/api' });
  router.use(requireApiToken(() => deps.config.apiToken));

  router.post('/archive/messages', async (ctx) => {
    const body = await readJson(ctx, ARCHIVE_BODY_LIMIT);
    const records = Array.isArray(body) ? body : (body as { messages?: unknown })?.messages;
    if (!Array.isArray(records)) throw new AppError('BAD_REQUEST', 'send a JSON array of archive records, or { "messages": [...] }', { status: 400 });
    if (records.length === 0 || records.length > MAX_ARCHIVE_BATCH) {
      throw new AppError('BAD_REQUEST', `send between 1 and ${MAX_ARCHIVE_BATCH} records per request (got ${records.length})`, { status: 400 });
    }
    const { records: valid, errors } = validateArchiveRecords(records, { now: deps.clock().getTime() });
    if (errors.length > 0) return invalid(ctx, `${new Set(errors.map((e) => e.index)).size} of ${records.length} records are invalid; nothing was stored`, errors);
    const result = await ingestArchiveRecords(deps.db, valid, deps.clock().getTime());
    ctx.state.log.info({ received: records.length, ...result }, 'archive records ingested');
    ctx.body = { received: records.length, ...result };
  });

  router.get('/archive/status', async (ctx) => {
    ctx.body = await readArchiveWatermark(deps.db);
  });

  router.post('/orders', async (ctx) => {
    const body = ApiOrderBatch.safeParse(await readJson(ctx, ORDERS_BODY_LIMIT));
    if (!body.success) {
      throw new AppError('BAD_REQUEST', `send { "orders": [...] } with 1 to ${MAX_ORDERS_PER_REQUEST} orders: ` +
        body.error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`).join('; '), { status: 400 });
    }
    const { orders, errors } = validateApiOrders(body.data.orders, { timezone: deps.config.timezone, now: deps.clock().getTime() });
    if (errors.length > 0) return invalid(ctx, `${new Set(errors.map((e) => e.index)).size} of ${body.data.orders.length} orders are invalid; nothing was stored`, errors);
    const result = await importOrders(deps.db, orders, 'api', deps.clock().getTime());
    ctx.state.log.info({ received: orders.length, ...result }, 'orders imported');
    ctx.body = { received: orders.length, ...result };
  });

  router.post('/customers/attributes', async (ctx) => {
    const body = ApiAttributeBatch.safeParse(await readJson(ctx, ORDERS_BODY_LIMIT));
    if (!body.success) {
      throw new AppError('BAD_REQUEST', `send { "customers": [{ "external_user_id": "...", "birthday": "1990-05-03", "anniversary": "2019-06-01" }] } with 1 to ${MAX_ATTRIBUTES_PER_REQUEST} customers: `
        + body.error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`).join('; '), { status: 400 });
    }
    const now = deps.clock().getTime();
    const { items, errors } = validateApiAttributes(body.data.customers, { timezone: deps.config.timezone, now });
    if (errors.length > 0) return invalid(ctx, `${new Set(errors.map((e) => e.index)).size} of ${body.data.customers.length} customers are invalid; nothing was stored`, errors);
    const result = await upsertCustomerAttributes(deps.db, items, 'api', now);
    ctx.state.log.info({ received: items.length, ...result }, 'customer attributes imported');
    ctx.body = { received: items.length, ...result };
  });

  router.get('/customers/:externalUserId/timeline', async (ctx) => {
    const limit = ctx.query.limit === undefined ? undefined : Number(ctx.query.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new AppError('BAD_REQUEST', 'limit must be a positive whole number', { status: 400 });
    const before = typeof ctx.query.before === 'string' ? ctx.query.before : undefined;
    ctx.body = await getTimeline(deps.db, ctx.params.externalUserId, { before, limit });
  });

  return router;
}

async function readJson(ctx: Koa.Context, limit: number): Promise<unknown> {
  let text: string;
  try {
    text = await readBody(ctx, limit);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new AppError('BODY_TOO_LARGE', `the request body is over ${limit / 1024 / 1024} MB; send smaller batches`, { status: 413 });
    throw err;
  }
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new AppError('JSON_TOO_DEEP', `the request body nests deeper than ${MAX_JSON_DEPTH} levels; records are flat objects with an items list`, { status: 400 });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('BAD_JSON', 'the request body is not valid JSON', { status: 400 });
  }
}

function invalid(ctx: Koa.Context, message: string, errors: unknown[]): void {
  ctx.status = 422;
  ctx.body = { code: 'INVALID_RECORDS', message, requestId: ctx.state.reqId, errors };
}
