import Router from '@koa/router';
import type Koa from 'koa';
import { AppError } from '../errors';
import { pathId, queryText } from '../http/request-input';
import type { SidebarContext } from '../sidebar-api/routes';
import { MaterialLibrary } from './service';

/**
 * The 素材 sheet's API under /sidebar/api (any signed-in rep may send the corp's materials):
 *   GET  /materials?q=&category=     the library, most used first
 *   GET  /materials/:mid/image       an image material's bytes (its thumbnail)
 *   POST /materials/:mid/message     the sendChatMessage content (uploads the file to WeCom when its media_id is missing or old)
 *   POST /materials/:mid/uses        count one send (after the bridge said ok)
 */
export function materialSidebarRoutes(sc: SidebarContext): Router {
  const { deps } = sc;
  const library = new MaterialLibrary({ db: deps.db, clock: deps.clock, log: deps.log, wecom: deps.wecom });
  const r = new Router({ prefix: '/sidebar/api/materials' });

  r.get('/', async (ctx) => {
    await sc.viewer(ctx);
    ctx.body = await library.browse({ q: queryText(ctx, 'q', 50), category: queryText(ctx, 'category', 16) });
  });

  r.get('/:mid/image', async (ctx) => {
    await sc.viewer(ctx);
    const img = await library.image(materialId(ctx));
    if (!img) throw new AppError('MATERIAL_NOT_FOUND', '没有找到这个素材', { status: 404 });
    ctx.type = img.contentType;
    ctx.body = img.data;
  });

  r.post('/:mid/message', async (ctx) => {
    const v = await sc.viewer(ctx);
    const id = materialId(ctx);
    ctx.body = await library.message(id);
    (ctx.state.log ?? deps.log).info({ userId: v.userId, materialId: id }, 'material prepared for a chat');
  });

  r.post('/:mid/uses', async (ctx) => {
    await sc.viewer(ctx);
    await library.countUse(materialId(ctx));
    ctx.status = 204;
  });

  return r;
}

function materialId(ctx: Koa.Context): number {
  const n = pathId(ctx.params.mid);
  if (n === null) throw new AppError('MATERIAL_NOT_FOUND', '没有找到这个素材', { status: 404 });
  return n;
}
