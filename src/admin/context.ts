import type Koa from 'koa';
import { AppError } from '../errors';
import { livePolicyOf, type LivePolicy } from '../policy/live';
import type { Services } from '../services';
import { Auditor } from './audit';
import { AdminSessions, LOCAL_ACTOR } from './auth';
import { AdminRepository } from './repository';
import { adminConfigFile, allows, forbidden, loadAdminConfig, loginBaseOf, Roles, type AdminConfig, type Role } from './roles';

/** What every console route shares: who may sign in, sessions, the audit trail, the live policy. */
export interface ConsoleContext {
  s: Services;
  settings: AdminConfig;
  roles: Roles;
  sessions: AdminSessions;
  repo: AdminRepository;
  auditor: Auditor;
  policy: LivePolicy;
  /** Origin of WeCom's web login (or the simulator's). */
  loginBase: string;
  /** The console exists: a local token is set or config/admin.json names members. */
  enabled: boolean;
  tokenLogin: boolean;
}

export interface Operator {
  id: string;
  role: Role;
  via: 'wecom' | 'token';
}

const CONTEXTS = new WeakMap<Services, ConsoleContext>();

export function consoleContext(s: Services): ConsoleContext {
  let c = CONTEXTS.get(s);
  if (c) return c;
  const file = adminConfigFile();
  const settings = loadAdminConfig(file);
  const roles = new Roles(file, settings, (message) => s.log.error({ file, err: message }, 'config/admin.json changed into an invalid file; keeping the members read before'));
  const repo = new AdminRepository(s.db);
  c = {
    s, settings, roles, repo,
    sessions: new AdminSessions({
      db: s.db, secret: s.config.sessionSecret, corpId: s.config.wecom.corpId, clock: s.clock, ttlMs: settings.sessionTtlMinutes * 60_000,
      secure: s.config.publicBaseUrl.startsWith('https:'), adminToken: s.config.adminToken,
    }),
    auditor: new Auditor(repo, s.clock),
    policy: livePolicyOf(s),
    loginBase: loginBaseOf(settings, s.config.wecom.apiBase),
    enabled: !!s.config.adminToken || roles.size > 0,
    tokenLogin: !!s.config.adminToken,
  };
  CONTEXTS.set(s, c);
  return c;
}

/** The signed-in operator with their role as config/admin.json says now, or null. */
export function operatorOf(c: ConsoleContext, ctx: Koa.Context): Operator | null {
  const s = c.sessions.read(ctx);
  if (!s) return null;
  if (s.via === 'token') return { id: LOCAL_ACTOR, role: 'admin', via: 'token' };
  const role = c.roles.of(s.u);
  return role ? { id: s.u, role, via: 'wecom' } : null;
}

/** The operator when their role allows `need`; else a 401 (not signed in) or 403 (role too low). */
export function requireRole(c: ConsoleContext, ctx: Koa.Context, need: Role): Operator {
  const who = operatorOf(c, ctx);
  if (!who) {
    const s = c.sessions.read(ctx);
    if (s) throw new AppError('FORBIDDEN', '你的账号已不在控制台成员名单中，请联系管理员', { status: 403, details: { role: null, need } });
    throw new AppError('SESSION_REQUIRED', '请先登录控制台', { status: 401, details: { login: '/admin/auth/wecom/start', tokenLogin: c.tokenLogin } });
  }
  if (!allows(who.role, need)) throw forbidden(who.role, need);
  return who;
}
