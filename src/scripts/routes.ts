import Router from '@koa/router';
import type Koa from 'koa';
import { requireApiToken } from '../data-api/auth';
import { AppError } from '../errors';
import { firstQuery, parseBody, readJson } from '../http/request-input';
import type { Services } from '../services';
import { scriptLibraryFor } from './library';
import { corpScriptSchema } from './validate';

/**
 * The 话术 library's machine API, behind the data API's bearer token (FENCUN_API_TOKEN):
 *   GET    /api/scripts?scope=corp|personal&owner=&category=&q=   scripts with their use counts
 *   GET    /api/scripts/:id
 *   POST   /api/scripts          a corp script { category, title, text, kinds?, stages?, tiers? } → 201
 *   PATCH  /api/scripts/:id      any of those fields
 *   DELETE /api/scripts/:id      → 204 (a seeded script stays deleted)
 * A script that would not read right in a chat (empty, too long, a placeholder nobody fills) is
 * refused with 400 and a sentence saying which field and why.
 */
export function scriptRoutes(s: Services): Router {
  const router = new Router({ prefix: '/api/scripts' });
  router.use(requireApiToken(() => s.config.apiToken));
  const library = scriptLibraryFor({ db: s.db, clock: s.clock, policy: s.judgement.policy });
  const schema = corpScriptSchema(s.judgement.policy.tiers.tiers.map((t) => t.id));

  router.get('/', async (ctx) => {
    const scope = firstQuery(ctx.query.scope);
    if (scope !== undefined && scope !== 'corp' && scope !== 'personal') throw bad('scope must be corp or personal (or left out for both)');
    ctx.body = { scripts: await library.list({ scope, ownerUserId: firstQuery(ctx.query.owner), category: firstQuery(ctx.query.category), q: firstQuery(ctx.query.q) }) };
  });
  router.get('/:id', async (ctx) => {
    ctx.body = await library.get(idOf(ctx));
  });
  router.post('/', async (ctx) => {
    const body = parseBody(schema.create, await readJson(ctx), bad);
    ctx.status = 201;
    ctx.body = await library.createCorp(body, 'api');
    ctx.state.log.info({ scriptId: (ctx.body as { id: number }).id, category: body.category }, 'corp script created');
  });
  router.patch('/:id', async (ctx) => {
    const id = idOf(ctx);
    const patch = parseBody(schema.patch, await readJson(ctx), bad);
    if (Object.keys(patch).length === 0) throw bad('send at least one of category, title, text, kinds, stages, tiers');
    ctx.body = await library.update(id, patch);
  });
  router.delete('/:id', async (ctx) => {
    await library.remove(idOf(ctx));
    ctx.status = 204;
  });
  return router;
}

function bad(message: string): AppError {
  return new AppError('INVALID_SCRIPT', message, { status: 400 });
}

// Not pathId: this API has always taken any safe integer, leading zeros too, and still does.
function idOf(ctx: Koa.Context): number {
  const id = Number(ctx.params.id);
  if (!/^\d+$/.test(ctx.params.id) || !Number.isSafeInteger(id) || id <= 0) throw bad(`script id must be a positive whole number (got "${ctx.params.id}")`);
  return id;
}
