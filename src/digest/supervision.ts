import type { DigestConfig } from './schema';

/**
 * Who supervises whom, for the digest (pure; the repository reads members and departments as the
 * reconcile keeps them):
 * - a department leader (department_leader in WeCom's department data) supervises every active
 *   member of that department and of its sub-departments, at any depth, except themselves;
 * - config/digest.json `supervisors` adds hand-made teams (or, with replaceLeaders, is the only
 *   source of teams besides the admins);
 * - `admins` get the whole corp.
 * A supervisor whose team is empty gets no digest.
 */

export interface OrgDepartment {
  id: number;
  name: string;
  parentId: number | null;
  leaders: string[];
}

export interface OrgMember {
  userId: string;
  name: string;
  departmentIds: number[];
  status: 'active' | 'left';
}

export interface Supervision {
  userId: string;
  name: string;
  scope: 'team' | 'corp';
  /** The reps whose customers the digest covers, sorted. */
  reps: string[];
  /** Departments they lead (names), for the message header. */
  departments: string[];
}

export function supervisionsOf(departments: OrgDepartment[], members: OrgMember[], config: Pick<DigestConfig, 'admins' | 'supervisors' | 'replaceLeaders'>): Supervision[] {
  const active = members.filter((m) => m.status === 'active');
  const names = new Map(members.map((m) => [m.userId, m.name || m.userId]));
  const children = new Map<number, number[]>();
  for (const d of departments) {
    if (d.parentId === null) continue;
    children.set(d.parentId, [...(children.get(d.parentId) ?? []), d.id]);
  }
  const byDept = new Map<number, string[]>();
  for (const m of active) for (const d of m.departmentIds) byDept.set(d, [...(byDept.get(d) ?? []), m.userId]);

  const teams = new Map<string, { reps: Set<string>; departments: string[]; scope: 'team' | 'corp' }>();
  const teamOf = (userId: string) => {
    let t = teams.get(userId);
    if (!t) teams.set(userId, (t = { reps: new Set(), departments: [], scope: 'team' }));
    return t;
  };
  if (!config.replaceLeaders) {
    for (const d of departments) {
      for (const leader of d.leaders) {
        if (!names.has(leader) || !active.some((m) => m.userId === leader)) continue;
        const t = teamOf(leader);
        t.departments.push(d.name || String(d.id));
        // Walk the subtree; `seen` guards against a parent cycle in bad data.
        const seen = new Set<number>();
        const stack = [d.id];
        while (stack.length) {
          const id = stack.pop()!;
          if (seen.has(id)) continue;
          seen.add(id);
          for (const u of byDept.get(id) ?? []) if (u !== leader) t.reps.add(u);
          stack.push(...(children.get(id) ?? []));
        }
      }
    }
  }
  const activeIds = new Set(active.map((m) => m.userId));
  for (const [supervisor, reps] of Object.entries(config.supervisors)) {
    const t = teamOf(supervisor);
    for (const r of reps) if (r !== supervisor && activeIds.has(r)) t.reps.add(r);
  }
  for (const admin of config.admins) {
    const t = teamOf(admin);
    t.scope = 'corp';
    for (const u of activeIds) t.reps.add(u);
  }
  return [...teams]
    .filter(([, t]) => t.reps.size > 0)
    .map(([userId, t]) => ({ userId, name: names.get(userId) ?? userId, scope: t.scope, reps: [...t.reps].sort(), departments: t.departments }))
    .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}
