import Router from '@koa/router';
import { z } from 'zod';
import { listDemoCustomers, showcaseRep } from '../demo/picker';
import { findDemoGroups, findDemoMembers } from '../demo/repository';
import { AppError } from '../errors';
import { loadViewer } from './access';
import { json } from './api-routes';
import type { SidebarContext } from './routes';
import type { DemoRep, DemoTarget, SessionInfo } from './types';

/** Customers per tier in the picker before the search box is needed. */
const PER_TIER = 12;

/**
 * Demo only (FENCUN_DEMO=1; the router is not mounted otherwise, so these paths are 404 in
 * production): pick who you are and which customer to open, so the sidebar can be tried in a
 * desktop browser without WeCom. Access rules still apply to whoever you pick.
 */
export function demoRoutes(sc: SidebarContext): Router {
  const { deps } = sc;
  const r = new Router({ prefix: '/sidebar/api/demo' });

  r.get('/reps', async (ctx) => {
    const members = await findDemoMembers(deps.db);
    const start = showcaseRep(members);
    const reps: DemoRep[] = members.map((m) => ({
      userId: m.userId, name: m.name, role: m.isSupervisor ? 'supervisor' : 'rep', team: m.team, position: m.position,
      customers: m.customers, suggested: m === start,
    }));
    ctx.body = reps;
  });

  r.post('/login', async (ctx) => {
    const { userId } = await json(ctx, z.strictObject({ userId: z.string().min(1).max(64) }));
    const v = await loadViewer(deps.db, userId);
    if (!v) throw new AppError('MEMBER_LEFT', 'This member has left the corp', { status: 403 });
    const s = sc.sessions.issue(ctx, userId, true);
    (ctx.state.log ?? deps.log).info({ userId }, 'sidebar demo sign-in');
    const body: SessionInfo = {
      userId, name: v.name, role: v.role, demo: true, expiresAt: new Date(s.exp).toISOString(),
      corpId: deps.config.wecom.corpId, agentId: deps.config.wecom.agentId,
    };
    ctx.body = body;
  });

  // ?q= searches the viewer's whole scope by name or remark; without it, customers by tier.
  r.get('/targets', async (ctx) => {
    const v = await sc.viewer(ctx);
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim() : '';
    if (q.length > 40) throw new AppError('BAD_REQUEST', 'search for at most 40 characters', { status: 400 });
    const customers = await listDemoCustomers(deps.db, sc.judgement, { scope: v.scope, viewerId: v.userId, now: deps.clock(), search: q || undefined, perTier: PER_TIER });
    const targets: DemoTarget[] = customers.map((c) => ({
      kind: 'contact', id: c.externalUserId, name: c.name, hint: c.hint, tier: { id: c.tier, label: c.tierLabel, rank: c.tierRank, score: c.score },
      stage: { id: c.stage, label: c.stageLabel }, action: c.action, marks: c.marks,
    }));
    if (!q) {
      const groups = await findDemoGroups(deps.db, v.scope, 5);
      for (const g of groups) targets.push({ kind: 'group', id: g.chatId, name: g.name, hint: `${g.members} 人` });
    }
    ctx.body = targets;
  });

  return r;
}
