import type Koa from 'koa';
import type { Viewer } from './access';
import type { SidebarContext } from './routes';
import type { SessionInfo } from './types';

/** GET /session's answer, also folded into GET /contacts/:id?session=1. */
export function sessionInfo(sc: SidebarContext, ctx: Koa.Context, v: Viewer): SessionInfo {
  const s = sc.sessions.read(ctx);
  return {
    userId: v.userId, name: v.name, role: v.role, demo: s.ok ? s.session.demo === true : false,
    expiresAt: new Date(s.ok ? s.session.exp : 0).toISOString(),
    corpId: sc.deps.config.wecom.corpId, agentId: sc.deps.config.wecom.agentId,
  };
}
