import type { Sql } from '../../src/db/database';
import { startSimulator, type RunningSimulator } from '../../src/wecom-simulator';
import type { Clock } from '../../src/clock';
import { TEST_WECOM } from '../helpers/wecom-callback';

/**
 * A small book for reminder delivery, on Beijing time. Monday 2026-03-02; the slots are 09:30 and
 * 14:00 (config/reminders.json). rep_a has five open reminders due by 09:30 (two from last Friday:
 * overdue), rep_b one, rep_c one due at 11:00 (not yet due at 09:30), rep_gone left the corp.
 */
export const at = (local: string) => new Date(`${local}+08:00`).getTime();
export const MONDAY_0930 = new Date('2026-03-02T09:30:00+08:00');
export const MONDAY_1400 = new Date('2026-03-02T14:00:00+08:00');
export const TUESDAY_0930 = new Date('2026-03-03T09:30:00+08:00');

export const REPS = ['rep_a', 'rep_b', 'rep_c', 'rep_gone'];

export async function seedBook(db: Sql): Promise<Record<string, number>> {
  for (const u of REPS) {
    await db.exec("INSERT INTO members (user_id, name, department_ids, main_department, is_leader, status, updated_at) VALUES (?,?,?,?,0,?,0)",
      [u, u.toUpperCase(), '[1]', 1, u === 'rep_gone' ? 'left' : 'active']);
  }
  const ids: Record<string, number> = {};
  const reminder = async (name: string, userId: string, ext: string, remark: string | null, wecomName: string, title: string, dueAt: number) => {
    await db.exec('INSERT INTO external_contacts (external_user_id, name, created_at, updated_at) VALUES (?,?,0,0)', [ext, wecomName]);
    await db.exec(`INSERT INTO follows (user_id, external_user_id, status, remark, added_at, last_event_at, created_at, updated_at)
      VALUES (?,?,'active',?,?,0,0,0)`, [userId, ext, remark, at('2025-06-01T10:00:00')]);
    await db.exec(`INSERT INTO reminders (external_user_id, user_id, kind, rule_key, title, message, reason, due_at, status, created_at, updated_at)
      VALUES (?,?,'revisit',?,?,?,?,?,'open',0,0)`, [ext, userId, `t:${name}`, title, '王姐您好，最近怎么样？', '已 30 天没有交流', dueAt]);
    const [row] = await db.query<{ id: unknown }>('SELECT id FROM reminders WHERE rule_key = ?', [`t:${name}`]);
    ids[name] = Number(row.id);
  };
  await reminder('a1', 'rep_a', 'wm_a1', '王姐-VIP 私下说要换工作', '王芳', '定期回访', at('2026-02-27T09:00:00'));
  await reminder('a2', 'rep_a', 'wm_a2', null, '李雷', '售后回访：面霜', at('2026-02-27T14:00:00'));
  await reminder('a3', 'rep_a', 'wm_a3', '陈姐', '陈静', '生日祝福', at('2026-03-02T09:00:00'));
  await reminder('a4', 'rep_a', 'wm_a4', null, '周敏', '亲自问候老客户', at('2026-03-02T09:00:00'));
  await reminder('a5', 'rep_a', 'wm_a5', null, '吴静', '先回复客户', at('2026-03-02T09:20:00'));
  await reminder('b1', 'rep_b', 'wm_b1', '林总', '林娟', '定期回访', at('2026-03-02T09:00:00'));
  await reminder('c1', 'rep_c', 'wm_c1', null, '何琳', '定期回访', at('2026-03-02T11:00:00'));
  await reminder('g1', 'rep_gone', 'wm_g1', null, '孙丽', '定期回访', at('2026-03-02T09:00:00'));
  return ids;
}

/** The simulator with these reps as members, on the test's clock (callbacks carry its CreateTime). */
export function startBookSimulator(clock: Clock, callbackUrl: string | null = null): Promise<RunningSimulator> {
  return startSimulator({
    port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret, callbackToken: TEST_WECOM.token,
    callbackAesKey: TEST_WECOM.aesKey, callbackUrl, clock, callbackRetryDelayMs: 50,
    seed: {
      version: 1, corpName: '山茶花', departments: [{ id: 1, name: '销售部', parentId: 0, order: 1, leaders: [] }],
      users: REPS.filter((u) => u !== 'rep_gone').map((u) => ({ userId: u, name: u.toUpperCase(), departments: [1], mainDepartment: 1, position: '顾问', gender: 1 })),
      customers: [], follows: [], tagGroups: [], groupChats: [], kfAccounts: [], kfMessages: [],
    },
  });
}
