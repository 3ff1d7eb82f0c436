import type { CallbackSender } from '../callbacks';
import type { Platform } from '../platform';
import type { SimState } from '../state';

/** What every simulated endpoint may use. */
export interface SimContext {
  corpId: string;
  agentId: number;
  secret: string;
  state: SimState;
  platform: Platform;
  sender: CallbackSender;
  /** Simulated now, epoch ms (the clock plus any admin time travel). */
  now(): number;
  /** externalcontact/get pages follow_user at this size (WeCom: 500). */
  followUserPageSize: number;
}

export interface ApiRequest {
  query: Record<string, string>;
  body: Record<string, unknown>;
  /** The raw body with its Content-Type, for endpoints that take a file (media/upload). */
  raw?: { contentType: string; data: Buffer };
}

export interface Endpoint {
  method: 'GET' | 'POST';
  /** false for gettoken and the robot webhook. */
  authenticated?: boolean;
  /** The body is a file upload (multipart/form-data), not JSON: handed over as `raw`. */
  raw?: boolean;
  handle(ctx: SimContext, req: ApiRequest): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** An errcode answer from a handler (HTTP 200, as WeCom answers errors). */
export class ApiFault extends Error {
  constructor(public readonly errcode: number, public readonly errmsg: string) {
    super(errmsg);
  }
}

export function invalidParam(what: string): ApiFault {
  return new ApiFault(40058, `invalid parameter: ${what}`);
}

/** Opaque cursors, like WeCom's: base64url of the position. A tampered cursor is an error. */
export function encodeCursor(pos: number[]): string {
  return Buffer.from('sim:' + pos.join(','), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: unknown, parts: number): number[] {
  if (cursor === undefined || cursor === null || cursor === '') return Array(parts).fill(0);
  const text = Buffer.from(String(cursor), 'base64url').toString('utf8');
  const m = /^sim:([\d,]+)$/.exec(text);
  const pos = m ? m[1].split(',').map(Number) : [];
  if (pos.length !== parts || pos.some((n) => !Number.isSafeInteger(n))) throw invalidParam('cursor');
  return pos;
}

export function pageLimit(value: unknown, fallback: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalidParam(`limit must be 1..${max}`);
  return n;
}

export function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw invalidParam(`missing ${name}`);
  return value;
}

export function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidParam(`${name} must be a list of strings`);
  return value as string[];
}

export function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
