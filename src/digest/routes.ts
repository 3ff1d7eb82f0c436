import Router from '@koa/router';
import type Koa from 'koa';
import type { Clock } from '../clock';
import type { Config } from '../config';
import { AppError } from '../errors';
import type { Log } from '../log';
import { loadSidebarConfigFile, resolveSidebarSettings } from '../sidebar-api/sidebar-config';
import { finishWecomSignIn, refusalPage, type WecomSignIn } from '../auth/wecom-sign-in';
import { SessionCodec, safeReturnPath } from '../sidebar-api/session';
import { isCalendarDate, previousLocalDate, type Digest } from './compute';
import { renderDigestPage } from './page';
import type { DigestService } from './service';
import type { Supervision } from './supervision';

/**
 * The digest page (/digest/) and its JSON (/digest/api/digest). Sign-in is WeCom's OAuth2
 * (snsapi_base) through the sidebar's SessionCodec, with cookies and token purposes of its own on
 * path /digest: the member's identity only ever comes from the code exchange; a state is good
 * for one exchange on this instance and only for this corp, as are sessions; a used or made-up
 * code is the visitor's 400, not WeCom's 502. A supervisor sees their team, an
 * admin (config/digest.json) the corp and, with ?supervisor=, any supervisor's team; anything
 * else is 403.
 */
export interface DigestRouteDeps {
  config: Config;
  clock: Clock;
  log: Log;
  digests: DigestService;
  wecom: { getUserInfoByCode(code: string): Promise<{ userId: string }> };
  /** Origin of the OAuth authorize page; default as the sidebar resolves it (config/sidebar.json). */
  oauthAuthorizeBase?: string;
}

const SESSION_TTL_MS = 8 * 3_600_000;
const HOME = '/digest/';

/** The digest's side of a WeCom sign-in (src/auth/wecom-sign-in.ts): its state cookie and its wording. */
const DIGEST_SIGN_IN = (sessions: SessionCodec): WecomSignIn<{ to: string }> => ({
  name: 'digest sign-in',
  codeName: 'OAuth code',
  stateRefused: 'digest sign-in: OAuth state missing, used or not ours',
  finishState: (ctx, nonce) => sessions.finishOAuth(ctx, nonce),
  back: { href: HOME, label: '重新打开日报' },
  expired: ['登录已失效', '请重新打开日报页面。'],
  notMember: ['仅限企业成员使用', '请使用企业微信成员身份打开本页面。'],
  failed: ['暂时无法登录', '企业微信身份校验失败，请稍后重试。'],
});

export function digestRoutes(deps: DigestRouteDeps): Router {
  const authorizeBase = (deps.oauthAuthorizeBase
    ?? resolveSidebarSettings(loadSidebarConfigFile(), deps.config.wecom.apiBase).oauthAuthorizeBase).replace(/\/+$/, '');
  const sessions = new SessionCodec({
    secret: deps.config.sessionSecret, ttlMs: SESSION_TTL_MS, secure: deps.config.publicBaseUrl.startsWith('https:'), clock: deps.clock,
    corpId: deps.config.wecom.corpId, demo: false,
    scope: { session: 'fc_digest', oauth: 'fc_digest_oauth', path: '/digest', purpose: 'digest-' },
  });
  const sessionUser = (ctx: Koa.Context): string | null => {
    const r = sessions.read(ctx);
    return r.ok ? r.session.u : null;
  };
  const authorizeUrl = (ctx: Koa.Context, to: string) => {
    const state = sessions.beginOAuth(ctx, safeReturnPath(to, HOME));
    const q = new URLSearchParams({
      appid: deps.config.wecom.corpId, redirect_uri: `${deps.config.publicBaseUrl}/digest/auth/callback`, response_type: 'code',
      scope: 'snsapi_base', state: state.n, agentid: String(deps.config.wecom.agentId),
    });
    // The #wechat_redirect suffix is required by WeCom's authorize page.
    return `${authorizeBase}/connect/oauth2/authorize?${q.toString()}#wechat_redirect`;
  };

  /** The team the signed-in member may see for this request, or the AppError saying why not. */
  async function resolve(ctx: Koa.Context): Promise<{ viewer: string; team: Supervision; date: string; rep: string | null }> {
    const viewer = sessionUser(ctx);
    if (!viewer) throw new AppError('SESSION_REQUIRED', '请先登录', { status: 401, details: { login: '/digest/auth/start' } });
    const all = await deps.digests.supervisions();
    const own = all.find((s) => s.userId === viewer);
    if (!own) throw new AppError('FORBIDDEN', '只有主管和管理员可以查看客户日报', { status: 403 });
    const asked = typeof ctx.query.supervisor === 'string' && ctx.query.supervisor ? ctx.query.supervisor : viewer;
    let team = own;
    if (asked !== viewer) {
      const other = all.find((s) => s.userId === asked);
      if (own.scope !== 'corp' || !other) {
        (ctx.state.log ?? deps.log).warn({ userId: viewer, asked }, 'digest access denied');
        throw new AppError('FORBIDDEN', '你只能查看自己团队的日报', { status: 403 });
      }
      team = other;
    }
    const rep = typeof ctx.query.rep === 'string' && ctx.query.rep ? ctx.query.rep : null;
    if (rep && !team.reps.includes(rep)) {
      (ctx.state.log ?? deps.log).warn({ userId: viewer, rep }, 'digest access denied');
      throw new AppError('FORBIDDEN', '这位员工不在你的团队里', { status: 403 });
    }
    const date = typeof ctx.query.date === 'string' && ctx.query.date ? ctx.query.date : previousLocalDate(deps.clock().getTime(), deps.config.timezone);
    if (!isCalendarDate(date)) {
      throw new AppError('BAD_DATE', `日期 "${date}" 无效，请用 2026-03-02 这样的格式`, { status: 400 });
    }
    return { viewer, team, date, rep };
  }

  async function digestOf(ctx: Koa.Context): Promise<{ digest: Digest; viewer: string; team: Supervision; rep: string | null }> {
    const r = await resolve(ctx);
    const team = r.rep ? { ...r.team, reps: [r.rep] } : r.team;
    const digest = await deps.digests.digestOf(team, r.date, deps.clock().getTime());
    return { digest, viewer: r.viewer, team: r.team, rep: r.rep };
  }

  const r = new Router({ strict: true });
  r.get('/digest', (ctx) => {
    ctx.status = 301;
    ctx.redirect('/digest/' + (ctx.querystring ? '?' + ctx.querystring : ''));
  });
  r.get('/digest/', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (!sessionUser(ctx)) return ctx.redirect(authorizeUrl(ctx, ctx.originalUrl));
    let page: Awaited<ReturnType<typeof digestOf>>;
    try {
      page = await digestOf(ctx);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) return refusalPage(ctx, err.status, [err.status === 403 ? '无权查看' : '无法打开', err.message]);
      throw err;
    }
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'");
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = renderDigestPage(page.digest, { teamOf: page.team, rep: page.rep, canPickTeam: page.team.scope === 'corp' || page.team.userId !== page.viewer, timeZone: deps.config.timezone });
  });
  r.get('/digest/api/digest', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = (await digestOf(ctx)).digest;
  });
  r.get('/digest/auth/start', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(authorizeUrl(ctx, String(ctx.query.to ?? '/digest/')));
  });
  r.get('/digest/auth/callback', async (ctx) => {
    const signedIn = await finishWecomSignIn(ctx, deps, DIGEST_SIGN_IN(sessions));
    if (!signedIn) return;
    const { userId, pending } = signedIn;
    sessions.issue(ctx, userId);
    (ctx.state.log ?? deps.log).info({ userId }, 'digest sign-in');
    ctx.redirect(pending.to);
  });
  return r;
}
