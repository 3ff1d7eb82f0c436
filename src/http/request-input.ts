import type Koa from 'koa';
import type { z } from 'zod';
import { AppError } from '../errors';
import { BodyTooLarge, readBody } from './read-body';

/**
 * Reading what a request sends, for the routes of the 话术 and 素材 libraries (their machine API
 * under /api and their sheets under /sidebar/api): one query value, a JSON body checked by a
 * schema, a row id in the path. Each refusal is a 4xx with a sentence naming what was wrong.
 */

/** The default JSON body a library route takes; a route that takes files passes its own. */
const JSON_BODY_LIMIT = 64 * 1024;

export async function readJson(ctx: Koa.Context, limit = JSON_BODY_LIMIT): Promise<unknown> {
  if (!ctx.is('application/json')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', { status: 415 });
  let text: string;
  try {
    text = await readBody(ctx, limit);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new AppError('BODY_TOO_LARGE', `the request body is over ${Math.round(limit / 1024)} KB`, { status: 413 });
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('BAD_JSON', 'the request body is not valid JSON', { status: 400 });
  }
}

/** `body` as `schema` says, or the caller's 400 listing every field that is wrong (and any unknown one). */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, bad: (message: string) => AppError): z.output<T> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  throw bad(r.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown field ${i.keys.map((k) => `"${k}"`).join(', ')}` : `${i.path.join('.') || 'body'}: ${i.message}`)).join('; '));
}

/** The first of a repeated query parameter; an empty one counts as left out. */
export function firstQuery(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

/** A search or filter text from the query: left out when empty, refused when repeated or over `max` characters. */
export function queryText(ctx: Koa.Context, name: string, max: number): string | undefined {
  const v = ctx.query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max) throw new AppError('BAD_QUERY', `${name} must be one text of at most ${max} characters`, { status: 400 });
  return v;
}

/** A row id from the path: 1 to 15 digits (so always a safe integer) and not 0; null for anything else. */
export function pathId(raw: string): number | null {
  const n = Number(raw);
  return /^\d{1,15}$/.test(raw) && n > 0 ? n : null;
}
