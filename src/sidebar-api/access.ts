import { findMember } from '../contacts/members';
import type { Sql } from '../db/database';
import { placeholders } from '../db/sql';
import { AppError } from '../errors';
import type { Log } from '../log';
import type { Role } from './types';

/**
 * Who may see what in the sidebar: a rep sees the customers they follow and the groups they own
 * or are in; a supervisor also those of everyone who reports to them (directly or further down).
 * Anything else is 403, and logged: a rep poking at other reps' customers is worth knowing about.
 */

export interface Viewer {
  userId: string;
  name: string;
  role: Role;
  /** The viewer and everyone below them: whose customers and groups they may open. */
  scope: string[];
}

/** Supervisor chains deeper than this are a data error (a cycle), not an org chart. */
const MAX_DEPTH = 8;

/** The signed-in member, or null when WeCom's member has left (they may not sign in). */
export async function loadViewer(db: Sql, userId: string): Promise<Viewer | null> {
  const member = await findMember(db, userId);
  if (member && member.status === 'left') return null;
  const scope = [userId];
  const seen = new Set(scope);
  let level = [userId];
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0; depth++) {
    const rows = await db.query<{ user_id: string }>(
      `SELECT user_id FROM members WHERE status = 'active' AND supervisor_user_id IN (${placeholders(level.length)})`, level);
    level = rows.map((r) => r.user_id).filter((u) => !seen.has(u));
    for (const u of level) {
      seen.add(u);
      scope.push(u);
    }
  }
  // Members are synced from the address book; before the first sync a signed-in rep is still a rep.
  return { userId, name: member?.name || userId, role: scope.length > 1 ? 'supervisor' : 'rep', scope };
}

export interface FollowRef {
  userId: string;
  status: string;
}

/**
 * The relations through which the viewer may see this customer, the viewer's own first.
 * A relation taken over by another rep (在职继承) no longer counts for the old rep.
 */
export async function assertCanSeeContact(db: Sql, viewer: Viewer, externalUserId: string, log: Log): Promise<FollowRef[]> {
  const rows = await db.query<{ user_id: string; status: string; ended_by: string | null }>(
    'SELECT user_id, status, ended_by FROM follows WHERE external_user_id = ?', [externalUserId]);
  const inScope = new Set(viewer.scope);
  const visible = rows
    .filter((r) => inScope.has(r.user_id) && r.ended_by !== 'transfer')
    .map((r) => ({ userId: r.user_id, status: r.status }))
    .sort((a, b) => rank(a, viewer) - rank(b, viewer));
  if (visible.length === 0) throw deny(log, viewer, { externalUserId, known: rows.length > 0 });
  return visible;
}

function rank(f: FollowRef, viewer: Viewer): number {
  return (f.userId === viewer.userId ? 0 : 2) + (f.status === 'ended' ? 1 : 0);
}

export async function assertCanSeeGroup(db: Sql, viewer: Viewer, chatId: string, log: Log): Promise<void> {
  const ids = viewer.scope;
  const rows = await db.query<{ ok: unknown }>(
    `SELECT 1 AS ok FROM customer_groups WHERE chat_id = ? AND owner_user_id IN (${placeholders(ids.length)})
     UNION ALL
     SELECT 1 AS ok FROM customer_group_members WHERE chat_id = ? AND member_type = 1 AND left_at IS NULL AND member_id IN (${placeholders(ids.length)})`,
    [chatId, ...ids, chatId, ...ids]);
  if (rows.length === 0) throw deny(log, viewer, { chatId });
}

function deny(log: Log, viewer: Viewer, what: Record<string, unknown>): AppError {
  log.warn({ userId: viewer.userId, role: viewer.role, ...what }, 'sidebar access denied');
  return new AppError('FORBIDDEN', 'You may only open customers you follow and groups you are in (or your team\'s, as a supervisor)', {
    status: 403,
  });
}
