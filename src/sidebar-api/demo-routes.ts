import Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../errors';
import { placeholders } from '../db/sql';
import { loadViewer } from './access';
import { json } from './api-routes';
import type { SidebarContext } from './routes';
import type { DemoRep, DemoTarget, SessionInfo } from './types';

/**
 * Demo only (FENCUN_DEMO=1; the router is not mounted otherwise, so these paths are 404 in
 * production): pick who you are and which customer to open, so the sidebar can be tried in a
 * desktop browser without WeCom. Access rules still apply to whoever you pick.
 */
export function demoRoutes(sc: SidebarContext): Router {
  const { deps } = sc;
  const r = new Router({ prefix: '/sidebar/api/demo' });

  r.get('/reps', async (ctx) => {
    const rows = await deps.db.query<{ user_id: string; name: string; reports: unknown; customers: unknown }>(
      `SELECT m.user_id, m.name,
         (SELECT COUNT(*) FROM members s WHERE s.supervisor_user_id = m.user_id AND s.status = 'active') AS reports,
         (SELECT COUNT(*) FROM follows f WHERE f.user_id = m.user_id AND f.status <> 'ended') AS customers
       FROM members m WHERE m.status = 'active'`);
    const reps: DemoRep[] = rows
      .filter((x) => Number(x.reports) > 0 || Number(x.customers) > 0)
      .sort((a, b) => Number(b.reports) - Number(a.reports) || Number(b.customers) - Number(a.customers))
      .slice(0, 12)
      .map((x) => ({ userId: x.user_id, name: x.name || x.user_id, role: Number(x.reports) > 0 ? 'supervisor' : 'rep' }));
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

  r.get('/targets', async (ctx) => {
    const v = await sc.viewer(ctx);
    const ids = v.scope;
    const contacts = await deps.db.query<{ external_user_id: string; name: string | null; remark: string | null; owner: string | null; user_id: string }>(
      `SELECT f.external_user_id, c.name, f.remark, m.name AS owner, f.user_id FROM follows f
       LEFT JOIN external_contacts c ON c.external_user_id = f.external_user_id
       LEFT JOIN customer_facts cf ON cf.external_user_id = f.external_user_id
       LEFT JOIN members m ON m.user_id = f.user_id
       WHERE f.user_id IN (${placeholders(ids.length)}) AND f.status <> 'ended'
       ORDER BY COALESCE(cf.last_msg_at, f.added_at, 0) DESC LIMIT 20`, ids);
    const groups = await deps.db.query<{ chat_id: string; name: string | null; n: unknown }>(
      `SELECT g.chat_id, g.name, (SELECT COUNT(*) FROM customer_group_members x WHERE x.chat_id = g.chat_id AND x.left_at IS NULL) AS n
       FROM customer_groups g WHERE g.status = 'active' AND (g.owner_user_id IN (${placeholders(ids.length)})
         OR g.chat_id IN (SELECT chat_id FROM customer_group_members WHERE member_type = 1 AND left_at IS NULL AND member_id IN (${placeholders(ids.length)})))
       ORDER BY g.name LIMIT 5`, [...ids, ...ids]);
    const seen = new Set<string>();
    const targets: DemoTarget[] = [];
    for (const c of contacts) {
      if (seen.has(c.external_user_id)) continue;
      seen.add(c.external_user_id);
      const hint = c.user_id !== v.userId ? `${c.owner || c.user_id}的客户` : c.remark && c.remark !== c.name ? c.remark : '';
      targets.push({ kind: 'contact', id: c.external_user_id, name: c.name || c.remark || c.external_user_id, hint });
    }
    for (const g of groups) targets.push({ kind: 'group', id: g.chat_id, name: g.name || g.chat_id, hint: `${Number(g.n)} 人` });
    ctx.body = targets;
  });

  return r;
}
