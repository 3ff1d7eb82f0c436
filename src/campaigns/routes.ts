import Router from '@koa/router';
import type Koa from 'koa';
import { requireApiToken } from '../data-api/auth';
import { AppError } from '../errors';
import { BodyTooLarge, readBody } from '../http/read-body';
import type { Services } from '../services';
import { campaignService } from './service';

/**
 * The campaigns machine API, behind the data API's bearer token (FENCUN_API_TOKEN):
 *   POST /api/campaigns                      create (body: the campaign JSON) → 201
 *   GET  /api/campaigns/:id                  status: definition, last plan, results, batches
 *   POST /api/campaigns/:id/plan[?now=ISO]   plan at now
 *   POST /api/campaigns/:id/approve[?now=]   plan again, persist, dispatch what is due
 *   POST /api/campaigns/:id/remind[?now=]    remind members who have not sent
 *   POST /api/campaigns/:id/cancel[?now=]    cancel
 * `now` lets an operator tool evaluate at a given instant, like the CLI's --now.
 */
const BODY_LIMIT = 8 * 1024 * 1024;

export function campaignRoutes(s: Services): Router {
  const router = new Router({ prefix: '/api/campaigns' });
  router.use(requireApiToken(() => s.config.apiToken));
  const sut = () => campaignService(s);

  router.post('/', async (ctx) => {
    ctx.status = 201;
    ctx.body = await sut().create(await readJson(ctx));
  });
  router.get('/:id', async (ctx) => {
    ctx.body = await sut().status(idOf(ctx));
  });
  router.post('/:id/plan', async (ctx) => {
    ctx.body = await sut().plan(idOf(ctx), nowOf(ctx, s));
  });
  router.post('/:id/approve', async (ctx) => {
    ctx.body = await sut().approve(idOf(ctx), nowOf(ctx, s));
  });
  router.post('/:id/remind', async (ctx) => {
    ctx.body = await sut().remind(idOf(ctx), nowOf(ctx, s));
  });
  router.post('/:id/cancel', async (ctx) => {
    ctx.body = await sut().cancel(idOf(ctx), nowOf(ctx, s));
  });
  return router;
}

function idOf(ctx: Koa.Context): number {
  const id = Number(ctx.params.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw new AppError('BAD_REQUEST', `活动编号要写成正整数（收到的是 "${ctx.params.id.slice(0, 40)}"）`, { status: 400 });
  return id;
}

function nowOf(ctx: Koa.Context, s: Services): Date {
  const q = ctx.query.now;
  if (q === undefined) return s.clock();
  const v = Array.isArray(q) ? q[0] : q;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(d.getTime())) {
    throw new AppError('BAD_REQUEST', `now 不是有效时间（收到的是 "${v.slice(0, 60)}"），请写成带时区的 ISO 时间，例如 2026-03-02T09:00:00+08:00`, { status: 400 });
  }
  return d;
}

async function readJson(ctx: Koa.Context): Promise<unknown> {
  let text: string;
  try {
    text = await readBody(ctx, BODY_LIMIT);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new AppError('BODY_TOO_LARGE', '活动内容超过 8 MB，请缩短 externalUserIds 名单，或改用标签、成员等条件圈选', { status: 413 });
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('BAD_JSON', '请求内容不是有效的 JSON，请检查括号、引号和逗号', { status: 400 });
  }
}
