import Router from '@koa/router';
import type Koa from 'koa';
import { requireApiToken } from '../data-api/auth';
import { AppError } from '../errors';
import { firstQuery, parseBody, pathId, readJson } from '../http/request-input';
import type { Services } from '../services';
import { MaterialLibrary } from './service';
import { MaterialBody, MaterialPatch } from './validate';

/** A 10 MB file as base64, and the JSON around it. */
const BODY_LIMIT = 14 * 1024 * 1024;

/**
 * The 素材 library's machine API, behind the data API's bearer token (FENCUN_API_TOKEN):
 *   GET    /api/materials?kind=&category=&q=   materials with their use counts (never the bytes)
 *   GET    /api/materials/:id
 *   POST   /api/materials      { kind: image|file, category, title, description?, file: { name, contentType, base64 } }
 *                              { kind: link, category, title, description?, url, picUrl? }
 *                              { kind: miniprogram, category, title, description?, appid, page, picUrl }  → 201
 *   PATCH  /api/materials/:id  { category?, title?, description? }
 *   DELETE /api/materials/:id  → 204 (the file's bytes are dropped)
 */
export function materialRoutes(s: Services): Router {
  const router = new Router({ prefix: '/api/materials' });
  router.use(requireApiToken(() => s.config.apiToken));
  const library = new MaterialLibrary({ db: s.db, clock: s.clock, log: s.log, wecom: s.wecom });

  router.get('/', async (ctx) => {
    ctx.body = { materials: await library.list({ kind: firstQuery(ctx.query.kind), category: firstQuery(ctx.query.category), q: firstQuery(ctx.query.q) }) };
  });
  router.get('/:id', async (ctx) => {
    ctx.body = await library.get(idOf(ctx));
  });
  router.post('/', async (ctx) => {
    const body = parseBody(MaterialBody, await readJson(ctx, BODY_LIMIT), bad);
    ctx.status = 201;
    ctx.body = await library.create(body, 'api');
    ctx.state.log.info({ materialId: (ctx.body as { id: number }).id, kind: body.kind }, 'material created');
  });
  router.patch('/:id', async (ctx) => {
    const id = idOf(ctx);
    const patch = parseBody(MaterialPatch, await readJson(ctx), bad);
    if (Object.keys(patch).length === 0) throw bad('send at least one of category, title, description');
    ctx.body = await library.update(id, patch);
  });
  router.delete('/:id', async (ctx) => {
    await library.remove(idOf(ctx));
    ctx.status = 204;
  });
  return router;
}

function bad(message: string): AppError {
  return new AppError('INVALID_MATERIAL', message, { status: 400 });
}

function idOf(ctx: Koa.Context): number {
  const id = pathId(ctx.params.id);
  if (id === null) throw bad(`material id must be a positive whole number (got "${ctx.params.id}")`);
  return id;
}
