import Router from '@koa/router';
import type Koa from 'koa';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Database } from '../db/database';
import { AppError } from '../errors';
import type { Log } from '../log';
import { createJudgement, type Judgement } from '../judgement';
import { loadPolicyConfig } from '../policy/config';
import { assertCanSeeContact, assertCanSeeGroup, loadViewer, type Viewer } from './access';
import { apiRoutes } from './api-routes';
import { authRoutes } from './auth-routes';
import { ContactOnDemand } from './contact-on-demand';
import { ensureSidebarBuilt, SIDEBAR_DIST } from './build';
import { demoRoutes } from './demo-routes';
import { myRemindersRoutes } from './my-reminders';
import { scriptSidebarRoutes } from '../scripts/sidebar-routes';
import { materialSidebarRoutes } from '../materials/sidebar-routes';
import { JssdkSigner, type TicketSource } from './jssdk-signature';
import { ProfileService } from './profile-service';
import { noReminders, type ReminderSource } from './reminders-port';
import { SessionCodec } from './session';
import { loadSidebarConfigFile, resolveSidebarSettings, type SidebarSettings } from './sidebar-config';
import { StaticFiles } from './static-files';
import type { ExternalContactDetail, UploadedMedia } from '../wecom/types';
import type { MediaUploadRequest, RemarkRequest } from '../wecom/requests';
import { loadProfileConfig } from '../profile/config';
import { repToolsRoutes } from './rep-tools';

/** The WeCom calls the sidebar makes (WecomClient satisfies it). */
export interface SidebarWecom extends TicketSource {
  getUserInfoByCode(code: string): Promise<{ userId: string }>;
  markTag(r: { userId: string; externalUserId: string; addTag?: string[]; removeTag?: string[] }): Promise<void>;
  /** The rep's profile edits of WeCom's remark fields (phone, company, description; src/profile). */
  remark(r: RemarkRequest): Promise<void>;
  /** Images and files reps send from the 素材 library, as temporary media (src/materials). */
  uploadMedia(r: MediaUploadRequest): Promise<UploadedMedia>;
  /** A customer Fencun does not know yet, fetched when a rep opens them (contact-on-demand.ts). */
  getExternalContact(externalUserId: string): Promise<ExternalContactDetail>;
  getCorpTagList(): Promise<{ groupId: string; groupName: string; order: number; createTime: number; deleted: boolean;
    tags: { id: string; name: string; order: number; createTime: number; deleted: boolean }[] }[]>;
}

export interface SidebarDeps {
  config: Config;
  db: Database;
  clock: Clock;
  log: Log;
  wecom: SidebarWecom;
  /** The judgement core (services.judgement); built from config/*.json when absent. */
  judgement?: Judgement;
  reminders?: ReminderSource;
  /** Overrides of config/sidebar.json (tests point the OAuth page at their own stand-in). */
  settings?: Partial<SidebarSettings>;
  /** Build sidebar/dist on the first page request when it is missing or stale (default true). */
  build?: boolean;
}

/**
 * What the page needs before its first API call, written into index.html so it can start the
 * WeCom bridge (ww.register needs corpId and agentId) at once, in parallel with the session check.
 */
function appMeta(deps: SidebarDeps): string {
  const cfg = JSON.stringify({ corpId: deps.config.wecom.corpId, agentId: deps.config.wecom.agentId, demo: deps.config.demo });
  return `<meta name="fencun-app" content="${cfg.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`;
}

/** What every sidebar handler shares. */
export interface SidebarContext {
  deps: SidebarDeps;
  settings: SidebarSettings;
  sessions: SessionCodec;
  signer: JssdkSigner;
  profiles: ProfileService;
  judgement: Judgement;
  reminders: ReminderSource;
  /** The signed-in rep, from the session cookie only; 401 without one, 403 for a member who left. */
  viewer(ctx: Koa.Context): Promise<Viewer>;
  contactAccess(ctx: Koa.Context, viewer: Viewer, externalUserId: string): ReturnType<typeof assertCanSeeContact>;
  groupAccess(ctx: Koa.Context, viewer: Viewer, chatId: string): Promise<void>;
  /** Resolves when sidebar/dist is ready (false: the build failed and the log says why). */
  built(): Promise<boolean>;
  files: StaticFiles;
}

/**
 * Everything under /sidebar: the page and its assets, OAuth sign-in, the JSON API, and (only
 * with FENCUN_DEMO) the demo identity picker. Mount with `app.use(r.routes()).use(r.allowedMethods())`.
 */
export function sidebarRoutes(deps: SidebarDeps): Router {
  const settings = resolveSidebarSettings(loadSidebarConfigFile(), deps.config.wecom.apiBase, deps.settings);
  const judgement = deps.judgement
    ?? createJudgement({ db: deps.db, policy: loadPolicyConfig(), timeZone: deps.config.timezone, clock: deps.clock, log: deps.log });
  const reminders = deps.reminders ?? noReminders;
  const sessions = new SessionCodec({
    secret: deps.config.sessionSecret, ttlMs: settings.sessionTtlMs, secure: deps.config.publicBaseUrl.startsWith('https:'), clock: deps.clock,
    corpId: deps.config.wecom.corpId, demo: deps.config.demo,
  });
  // Built on the first page request, not at start-up: most processes (jobs, CLI, tests) never
  // serve the page. `npm run build:sidebar` (or ensureSidebarBuilt at start) does it ahead of time.
  let building: Promise<boolean> | null = null;
  const built = () => (building ??= deps.build === false
    ? Promise.resolve(true)
    : ensureSidebarBuilt(deps.log).then(() => true, (err: Error) => {
        deps.log.error({ err: err.message }, 'the sidebar page could not be built; run npm run build:sidebar');
        building = null;
        return false;
      }));
  const profileConfig = loadProfileConfig();
  const onDemand = new ContactOnDemand({ db: deps.db, wecom: deps.wecom, clock: deps.clock, waitMs: settings.onDemandFetchMs });
  const sc: SidebarContext = {
    deps, settings, sessions, reminders, built, judgement,
    signer: new JssdkSigner(deps.wecom, { corpId: deps.config.wecom.corpId, agentId: deps.config.wecom.agentId, publicBaseUrl: deps.config.publicBaseUrl, clock: deps.clock }),
    profiles: new ProfileService({
      db: deps.db, clock: deps.clock, timeZone: deps.config.timezone, judgement,
      reminders, timelinePageSize: settings.timelinePageSize, recentOrders: settings.recentOrders, profileConfig,
    }),
    files: new StaticFiles(SIDEBAR_DIST, (page) => page.replace('<meta name="fencun-app" content="{}"', appMeta(deps))),
    async viewer(ctx) {
      const s = sessions.require(ctx, { demo: deps.config.demo });
      const v = await loadViewer(deps.db, s.u);
      if (!v) throw new AppError('MEMBER_LEFT', 'This member has left the corp', { status: 403 });
      return v;
    },
    contactAccess: (ctx, viewer, id) => onDemand.access(viewer, id, ctx.state.log ?? deps.log),
    groupAccess: (ctx, viewer, id) => assertCanSeeGroup(deps.db, viewer, id, ctx.state.log ?? deps.log),
  };

  const router = new Router();
  for (const r of [authRoutes(sc), apiRoutes(sc), repToolsRoutes(sc, profileConfig), myRemindersRoutes(sc), scriptSidebarRoutes(sc), materialSidebarRoutes(sc), ...(deps.config.demo ? [demoRoutes(sc)] : [])]) {
    router.use(r.routes(), r.allowedMethods());
  }
  return router;
}
