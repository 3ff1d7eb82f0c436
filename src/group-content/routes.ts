import Router from '@koa/router';
import type Koa from 'koa';
import { requireApiToken } from '../data-api/auth';
import { AppError } from '../errors';
import { BodyTooLarge, readBody } from '../http/read-body';
import type { Services } from '../services';
import { groupContentService } from './service';

/**
 * The group-content machine API, behind the data API's bearer token (FENCUN_API_TOKEN):
 *   POST /api/group-content/posts                  create a post or series (JSON) → 201
 *   POST /api/group-content/import?source=name     a CSV of posts (text/csv), all or nothing → 201; 400 lists every row's problems
 *   GET  /api/group-content/posts?from=&to=        the calendar: decided sends as stored, the rest previewed
 *   GET  /api/group-content/posts/:id              a post, its per-group sends and results
 *   POST /api/group-content/posts/:id/cancel       cancel what has not been sent
 * `now` (ISO) on any of them evaluates at that instant, like the CLI's --now.
 */
const BODY_LIMIT = 4 * 1024 * 1024;
const DAY = 86_400_000;

export function groupContentRoutes(s: Services): Router {
  const router = new Router({ prefix: '/api/group-content' });
  router.use(requireApiToken(() => s.config.apiToken));
  const sut = () => groupContentService(s);

  router.post('/posts', async (ctx) => {
    const text = await body(ctx);
    let input: unknown;
    try {
      input = JSON.parse(text) as unknown;
    } catch {
      throw new AppError('BAD_JSON', '请求内容不是有效的 JSON，请检查括号、引号和逗号', { status: 400 });
    }
    ctx.status = 201;
    ctx.body = await sut().create(input, nowOf(ctx, s));
  });
  router.post('/import', async (ctx) => {
    const source = typeof ctx.query.source === 'string' && ctx.query.source ? ctx.query.source.slice(0, 200) : 'api';
    const posts = await sut().importCsv(await body(ctx), nowOf(ctx, s), `csv:${source}`);
    ctx.status = 201;
    ctx.body = { imported: posts.length, posts };
  });
  router.get('/posts', async (ctx) => {
    const now = nowOf(ctx, s);
    const from = timeOf(ctx, 'from') ?? now.getTime();
    const to = timeOf(ctx, 'to') ?? from + 31 * DAY;
    if (to <= from) throw new AppError('BAD_REQUEST', '结束时间 to 必须晚于开始时间 from', { status: 400 });
    if (to - from > 92 * DAY) throw new AppError('BAD_REQUEST', '一次最多查看 92 天，请缩小 from 到 to 的范围', { status: 400 });
    ctx.body = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), sends: await sut().list({ from, to, now }) };
  });
  router.get('/posts/:id', async (ctx) => {
    ctx.body = await sut().status(idOf(ctx));
  });
  router.post('/posts/:id/cancel', async (ctx) => {
    ctx.body = await sut().cancel(idOf(ctx), nowOf(ctx, s));
  });
  return router;
}

function idOf(ctx: Koa.Context): number {
  const id = Number(ctx.params.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw new AppError('BAD_REQUEST', `群内容编号要写成正整数（收到的是 "${ctx.params.id.slice(0, 40)}"）`, { status: 400 });
  return id;
}

function timeOf(ctx: Koa.Context, name: string): number | null {
  const q = ctx.query[name];
  if (q === undefined) return null;
  const v = Array.isArray(q) ? q[0] : q;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(t)) {
    throw new AppError('BAD_REQUEST', `${name} 不是有效时间（收到的是 "${v.slice(0, 60)}"），请写成带时区的 ISO 时间，例如 2026-03-02T09:00:00+08:00`, { status: 400 });
  }
  return t;
}

function nowOf(ctx: Koa.Context, s: Services): Date {
  const t = timeOf(ctx, 'now');
  return t === null ? s.clock() : new Date(t);
}

async function body(ctx: Koa.Context): Promise<string> {
  try {
    return await readBody(ctx, BODY_LIMIT);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new AppError('BODY_TOO_LARGE', '请求内容超过 4 MB，请一次只导入一个月的群内容', { status: 413 });
    throw err;
  }
}
