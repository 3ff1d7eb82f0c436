import path from 'node:path';
import Router from '@koa/router';
import type Koa from 'koa';
import type { Log } from '../log';
import { ensureSidebarBuilt, SIDEBAR_DIST } from '../sidebar-api/build';
import { StaticFiles } from '../sidebar-api/static-files';

/**
 * The operators' console page (sidebar/src/console → sidebar/dist/console, built with the
 * sidebar by the same Vite config) at /admin/console/, and its assets. The page is static and
 * says nothing until /admin/api/me answers, so it is served to anyone; the API behind it
 * (src/admin, docs/CONSOLE-API.md) decides who may see and change what.
 *
 * The page is one document with hash routes (#/campaigns, #/calendar …), so a reload or a shared
 * link never needs a server route per page. Assets carry content hashes: cached for a year.
 */

export const CONSOLE_DIST = path.join(SIDEBAR_DIST, 'console');

// Same-origin everything; no frames (the console never runs inside WeCom), no inline script.
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleStaticDeps {
  log: Log;
  /** Build sidebar/dist (with the console) on the first request when it is missing or stale (default true). */
  build?: boolean;
}

export function consoleStaticRoutes(deps: ConsoleStaticDeps): Router {
  const r = new Router({ strict: true });
  const files = new StaticFiles(CONSOLE_DIST);
  let building: Promise<boolean> | null = null;
  const built = () => (building ??= deps.build === false
    ? Promise.resolve(true)
    : ensureSidebarBuilt(deps.log).then(() => true, (err: Error) => {
        deps.log.error({ err: err.message }, 'the console page could not be built; run npm run build:sidebar');
        building = null;
        return false;
      }));
  const unavailable = (ctx: Koa.Context) => {
    ctx.status = 503;
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = '运营后台页面尚未构建：请运行 npm run build:sidebar 后重试。';
  };

  r.get('/admin/console', (ctx) => {
    ctx.status = 301;
    ctx.redirect('/admin/console/');
  });
  r.get('/admin/console/', async (ctx) => {
    if (!(await built())) return unavailable(ctx);
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'same-origin');
    if (!files.send(ctx, 'index.html', 'no-cache')) unavailable(ctx);
  });
  r.get('/admin/console/assets/:file', async (ctx) => {
    await built();
    if (!/^[\w.-]+$/.test(ctx.params.file) || !files.send(ctx, `assets/${ctx.params.file}`, 'public, max-age=31536000, immutable')) {
      ctx.status = 404;
      ctx.body = 'Not found';
    }
  });
  return r;
}
