import type Koa from 'koa';
import { AppError } from '../errors';
import type { Log } from '../log';
import { WecomError } from '../wecom/errors';

/** auth/getuserinfo errcodes for a code that is wrong, expired (40029) or already used (40163). */
export const USED_OR_INVALID_CODE = new Set([40029, 40163]);

/** A refusal page's title and its one sentence. */
export type RefusalText = readonly [title: string, detail: string];

/** Where a refusal page sends the visitor next. */
export interface RefusalLink {
  href: string;
  label: string;
}

/**
 * What differs between the surfaces that sign a WeCom member in with a code (the console's web
 * login, wecom/API.md 4.19; the sidebar's OAuth2 authorize, 4.18): their own state cookie, their
 * wording and their way back. The steps, the statuses and what each status means are the same.
 */
export interface WecomSignIn<P> {
  /** The log lines' prefix: 'console sign-in'. */
  name: string;
  /** What the log calls WeCom's code (the console's web-login code is not an OAuth2 one). */
  codeName: string;
  /** The log line for a refused state: each surface's state has its own rules (the console's is single-use across instances). */
  stateRefused: string;
  /** Consumes the pending state `nonce` names: null when it is missing, expired, used or not this browser's. */
  finishState(ctx: Koa.Context, nonce: string): P | null | Promise<P | null>;
  back: RefusalLink;
  /** 400: the state or the code is stale, used or made up; signing in again from the start fixes it. */
  expired: RefusalText;
  /** 403: WeCom says the visitor is not a member of the corp. */
  notMember: RefusalText;
  /** 502: WeCom could not be asked. */
  failed: RefusalText;
}

/** What the exchange needs of the app (Services and the sidebar's deps both have it). */
export interface SignInDeps {
  wecom: { getUserInfoByCode(code: string): Promise<{ userId: string }> };
  log: Log;
}

/**
 * The callback half of a WeCom sign-in: consumes the state the callback names and exchanges the
 * code with auth/getuserinfo for the member's userid. Returns the userid and the pending state,
 * or null when it has answered the request itself with a refusal page and logged why. What the
 * member may then do (a console role, a sidebar viewer) is the caller's to decide.
 */
export async function finishWecomSignIn<P>(ctx: Koa.Context, deps: SignInDeps, s: WecomSignIn<P>): Promise<{ userId: string; pending: P } | null> {
  ctx.set('Cache-Control', 'no-store');
  const log = ctx.state.log ?? deps.log;
  const code = typeof ctx.query.code === 'string' ? ctx.query.code : '';
  const nonce = typeof ctx.query.state === 'string' ? ctx.query.state : '';
  const pending = await s.finishState(ctx, nonce);
  if (!pending || !code) {
    log.warn({ hasCode: !!code }, s.stateRefused);
    refusalPage(ctx, 400, s.expired, s.back);
    return null;
  }
  try {
    return { userId: (await deps.wecom.getUserInfoByCode(code)).userId, pending };
  } catch (err) {
    if (err instanceof WecomError && err.errcode !== null && USED_OR_INVALID_CODE.has(err.errcode)) {
      // A stale, reused or made-up code is the visitor's problem, not WeCom being down.
      log.warn({ errcode: err.errcode }, `${s.name}: WeCom says the ${s.codeName} is invalid or used`);
      refusalPage(ctx, 400, s.expired, s.back);
    } else if (err instanceof AppError && err.status === 403) {
      log.warn({ code: err.code }, `${s.name} refused: not a member of the corp`);
      refusalPage(ctx, 403, s.notMember, s.back);
    } else {
      log.error({ err: (err as Error).message }, `${s.name}: WeCom code exchange failed`);
      refusalPage(ctx, 502, s.failed, s.back);
    }
    return null;
  }
}

/** A sign-in refusal as a small page of its own: the visitor arrived by a redirect, not from a script. Texts are escaped (some carry an error's message). */
export function refusalPage(ctx: Koa.Context, status: number, [title, detail]: RefusalText, back?: RefusalLink): void {
  const esc = (v: string) => v.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
  ctx.body = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>body{font:15px/1.6 -apple-system,'PingFang SC','Microsoft YaHei',sans-serif;background:#f3f4f6;margin:0;padding:48px 20px;color:#1d2129;text-align:center}
h1{font-size:18px}p{color:#4e5969}a{display:inline-block;margin-top:16px;padding:10px 24px;border-radius:10px;background:#1a6dff;color:#fff;text-decoration:none}</style></head>
<body><h1>${esc(title)}</h1><p>${esc(detail)}</p>${back ? `<a href="${esc(back.href)}">${esc(back.label)}</a>` : ''}</body></html>`;
}
