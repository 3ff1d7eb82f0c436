import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type Koa from 'koa';

/**
 * Serves sidebar/dist. Assets have content hashes in their names, so they are cached for a year
 * and gzipped once in memory; index.html is revalidated on every open (it names the current
 * assets). A phone on a weak connection downloads the page once per release.
 */

interface Cached {
  mtimeMs: number;
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

// Everything the page loads is its own; avatars come from WeCom's image CDN over https (the
// profile upgrades WeCom's http://wx.qlogo.cn addresses, see contact-view.ts secureAvatar).
export const SIDEBAR_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' https: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

export class StaticFiles {
  private readonly cache = new Map<string, Cached>();

  /** `html` rewrites .html files once when read (the app's settings are put into the page there). */
  constructor(private readonly dir: string, private readonly html: (page: string) => string = (p) => p) {}

  /** Reads a file under the dist folder; null if absent (or outside it). */
  load(relative: string): Cached | null {
    const file = path.resolve(this.dir, relative);
    if (!file.startsWith(this.dir + path.sep)) return null;
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const hit = this.cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit;
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const raw = fs.readFileSync(file);
    const body = type.startsWith('text/html') ? Buffer.from(this.html(raw.toString('utf8')), 'utf8') : raw;
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
    const entry = { mtimeMs: st.mtimeMs, body, gzip: compressible ? gzipSync(body, { level: 9 }) : null, type };
    this.cache.set(file, entry);
    return entry;
  }

  send(ctx: Koa.Context, relative: string, cacheControl: string): boolean {
    const f = this.load(relative);
    if (!f) return false;
    ctx.set('Cache-Control', cacheControl);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.vary('Accept-Encoding');
    ctx.type = f.type;
    if (f.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = f.gzip;
    } else {
      ctx.body = f.body;
    }
    return true;
  }
}
