import type { Sql } from '../db/database';
import { num, numOrNull, upsertRows } from '../db/sql';
import type { Department, Member } from './types';

/** Reps, supervisors and departments (通讯录), as the reconcile last read them. */

export interface MemberRow {
  userId: string;
  name: string;
  position: string | null;
  departmentIds: number[];
  mainDepartment: number | null;
  isLeader: boolean;
  supervisorUserId: string | null;
  status: 'active' | 'left';
  lastAppVisitAt: number | null;
}

export async function saveDepartments(db: Sql, departments: Department[], runId: string, now: number): Promise<void> {
  await upsertRows(db, 'departments', ['dept_id', 'name', 'parent_id', 'sort_order', 'leaders', 'synced_run', 'updated_at'],
    departments.map((d) => [d.id, d.name, d.parentId, d.order, JSON.stringify(d.leaders), runId, now]),
    ['dept_id'], ['name', 'parent_id', 'sort_order', 'leaders', 'synced_run', 'updated_at']);
}

/**
 * Who supervises a member: their 直属上级 when set, else the leader of their main department,
 * walking up to parent departments when they lead it themselves.
 */
export function supervisorOf(m: Member, departments: Map<number, Department>): string | null {
  const direct = m.directLeaders.find((u) => u !== m.userId);
  if (direct) return direct;
  let dept = departments.get(m.mainDepartment ?? m.departmentIds[0] ?? -1);
  for (let hops = 0; dept && hops < 32; hops++) {
    const leader = dept.leaders.find((u) => u !== m.userId);
    if (leader) return leader;
    dept = dept.parentId === null ? undefined : departments.get(dept.parentId);
  }
  return null;
}

export async function saveMembers(db: Sql, members: Member[], departments: Map<number, Department>, runId: string | null, now: number): Promise<void> {
  await upsertRows(db, 'members',
    ['user_id', 'name', 'position', 'department_ids', 'main_department', 'is_leader', 'supervisor_user_id', 'status', 'synced_run', 'updated_at'],
    members.map((m) => [
      m.userId, m.name, m.position ?? null, JSON.stringify(m.departmentIds), m.mainDepartment ?? m.departmentIds[0] ?? null,
      m.isLeader ? 1 : 0, supervisorOf(m, departments), 'active', runId, now,
    ]),
    ['user_id'], ['name', 'position', 'department_ids', 'main_department', 'is_leader', 'supervisor_user_id', 'status', 'synced_run', 'updated_at']);
}

/** Members the reconcile did not see any more have left the corp. */
export async function markMembersLeft(db: Sql, runId: string, now: number): Promise<number> {
  return db.exec(`UPDATE members SET status = 'left', updated_at = ? WHERE status = 'active' AND (synced_run IS NULL OR synced_run <> ?)`, [now, runId]);
}

export async function departmentsById(db: Sql): Promise<Map<number, Department>> {
  const rows = await db.query<Record<string, unknown>>('SELECT dept_id, name, parent_id, sort_order, leaders FROM departments');
  return new Map(rows.map((r) => [num(r.dept_id), {
    id: num(r.dept_id), name: String(r.name), parentId: numOrNull(r.parent_id), order: num(r.sort_order),
    leaders: r.leaders ? (JSON.parse(String(r.leaders)) as string[]) : [],
  }]));
}

/** Records that a member opened the app (enter_agent) or wrote to it; creates unknown members. */
export async function recordAppVisit(db: Sql, userId: string, at: number, now: number): Promise<void> {
  await db.exec(
    db.dialect === 'mysql'
      ? `INSERT INTO members (user_id, department_ids, last_app_visit_at, updated_at) VALUES (?, '[]', ?, ?)
         ON DUPLICATE KEY UPDATE last_app_visit_at = GREATEST(COALESCE(last_app_visit_at, 0), VALUES(last_app_visit_at))`
      : `INSERT INTO members (user_id, department_ids, last_app_visit_at, updated_at) VALUES (?, '[]', ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET last_app_visit_at = MAX(COALESCE(last_app_visit_at, 0), excluded.last_app_visit_at)`,
    [userId, at, now]);
}

export async function findMember(db: Sql, userId: string): Promise<MemberRow | null> {
  const rows = await db.query<Record<string, unknown>>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE user_id = ?`, [userId]);
  return rows[0] ? toMember(rows[0]) : null;
}

/** The members a supervisor is responsible for (direct reports). */
export async function findTeamOf(db: Sql, supervisorUserId: string): Promise<MemberRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${MEMBER_COLUMNS} FROM members WHERE supervisor_user_id = ? AND status = 'active' ORDER BY user_id`, [supervisorUserId]);
  return rows.map(toMember);
}

/** Members who supervise at least one active member. */
export async function findSupervisors(db: Sql): Promise<MemberRow[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${MEMBER_COLUMNS} FROM members WHERE status = 'active' AND user_id IN
       (SELECT supervisor_user_id FROM members WHERE status = 'active' AND supervisor_user_id IS NOT NULL) ORDER BY user_id`);
  return rows.map(toMember);
}

export async function findActiveMemberIds(db: Sql): Promise<string[]> {
  const rows = await db.query<{ user_id: string }>(`SELECT user_id FROM members WHERE status = 'active' ORDER BY user_id`);
  return rows.map((r) => r.user_id);
}

const MEMBER_COLUMNS = 'user_id, name, position, department_ids, main_department, is_leader, supervisor_user_id, status, last_app_visit_at';

function toMember(r: Record<string, unknown>): MemberRow {
  return {
    userId: String(r.user_id), name: String(r.name ?? ''), position: (r.position as string) ?? null,
    departmentIds: r.department_ids ? (JSON.parse(String(r.department_ids)) as number[]) : [],
    mainDepartment: numOrNull(r.main_department), isLeader: num(r.is_leader) === 1,
    supervisorUserId: (r.supervisor_user_id as string) ?? null, status: r.status as 'active' | 'left',
    lastAppVisitAt: numOrNull(r.last_app_visit_at),
  };
}
