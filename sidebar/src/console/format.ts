/**
 * Times in the corp's time zone (FENCUN_TIMEZONE, from /admin/api/me), whatever the operator's
 * computer is set to: a campaign scheduled for 10:00 means 10:00 in the corp's calendar.
 */
import { reactive } from 'vue';

export const zone = reactive({ tz: 'Asia/Shanghai' });

const ms = (t: string | number | Date) => (t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t));

function parts(t: number, tz: string): Record<string, number> {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(t))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-03-02" in the corp's zone. */
export function dayKey(t: string | number | Date): string {
  const p = parts(ms(t), zone.tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** "10:00" in the corp's zone. */
export function hhmm(t: string | number | Date): string {
  const p = parts(ms(t), zone.tz);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** "2026-03-02 10:00" in the corp's zone; "—" for nothing. */
export function when(t: string | number | Date | null | undefined): string {
  if (t === null || t === undefined || t === '') return '—';
  const v = ms(t);
  return Number.isNaN(v) ? '—' : `${dayKey(v)} ${hhmm(v)}`;
}

/** The value of an <input type="datetime-local"> ("2026-03-02T10:00") for an instant, in the corp's zone. */
export function toLocalInput(t: string | number | Date): string {
  return `${dayKey(t)}T${hhmm(t)}`;
}

/** The instant a corp-zone wall time ("2026-03-02T10:00") names, as ISO; null if it is not one. */
export function fromLocalInput(v: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(v);
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  // The zone's offset at that wall time: guess, then correct once (enough across a DST change).
  let t = wall - offset(wall);
  t = wall - offset(t);
  return new Date(t).toISOString();
}

function offset(t: number): number {
  const p = parts(t, zone.tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
}

/** Calendar arithmetic on "YYYY-MM-DD" strings (no zone involved). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** ISO weekday 1 (Monday) … 7 (Sunday) of a "YYYY-MM-DD". */
export function weekday(day: string): number {
  return new Date(`${day}T00:00:00Z`).getUTCDay() || 7;
}

export const WEEKDAY_ZH = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

// ---- Labels ----

/** Pressure reasons (src/pressure/labels.ts) and the planners' own. */
export const REASONS: Record<string, string> = {
  RELATION_ENDED: '已解除好友关系',
  OUTSIDE_SERVICE_WINDOW: '不属于服务回复',
  COMPLAINT_OPEN: '投诉处理中',
  COMPLAINT_COOLDOWN: '投诉冷静期',
  BACKOFF_PAUSED: '连续未回复，暂停',
  QUIET_HOURS: '客户的休息时间',
  DAILY_CAP: '今天的次数已用完',
  WEEKLY_CAP: '本周的次数已用完',
  MONTHLY_CAP: '本月的次数已用完',
  MIN_GAP: '距上次联系太近',
  PLATFORM_QUOTA: '企业微信群发接收上限',
  SCHEDULE_FULL: '当天发送量已满',
  GROUP_NOT_FOUND: '群不存在或已解散',
  NO_OWNER: '群没有群主',
  TOO_LATE: '已过发送时间',
  ADMITTED: '可以发送',
};
export const reason = (code: string | null | undefined) => (code ? REASONS[code] ?? code : '');

// ---- Groups: by name, never by chat id ----

/** A customer group as the group-post API names it (src/group-content GroupLabel). */
export interface GroupNaming {
  chatId: string;
  /** "" for a WeCom group without a name; null (or absent) when Fencun has not synced the group. */
  groupName?: string | null;
  owner?: string | null;
  ownerName?: string | null;
}

/** The owner rep by name, else by userid; '' when the group has none. */
export const ownerLabel = (g: GroupNaming): string => g.ownerName || g.owner || '';

/**
 * What operators call a group: its WeCom name; for a group without one (WeCom allows it) or not
 * synced yet, a sentence with its owner. The chat id is for tooltips only.
 */
export function groupLabel(g: GroupNaming): string {
  if (g.groupName) return g.groupName;
  const base = g.groupName === '' ? '未命名群' : '未同步的群';
  const owner = ownerLabel(g);
  return owner ? `${base}（群主 ${owner}）` : base;
}

export const STAGES: [string, string][] = [['new', '新客户'], ['active', '活跃'], ['at_risk', '流失风险'], ['dormant', '沉睡'], ['lost', '已流失']];

export const CAMPAIGN_STATUS: Record<string, string> = { draft: '草稿', approved: '已批准', done: '已完成', cancelled: '已取消' };
export const CATEGORY: Record<string, string> = { marketing: '营销', care: '关怀' };
export const RESULTS: [string, string][] = [
  ['sent', '已送达'], ['not_friend', '已不是好友'], ['over_quota', '超过企业微信群发上限'], ['not_sent', '成员未发送'], ['pending', '等待成员发送'], ['cancelled', '已取消'], ['excluded', '未纳入'],
];
export const SEND_STATUS: Record<string, string> = {
  preview: '预览', planned: '已排期', dispatched: '已下发', sent: '已发送', not_sent: '群主未发送', over_quota: '超过群发上限',
  group_gone: '群已解散', failed: '失败', cancelled: '已取消', skipped: '已跳过',
};
export const DECISION: Record<string, string> = { send: '按时发送', moved: '将顺延', skipped: '将跳过' };
export const ROLE: Record<string, string> = { admin: '管理员', operator: '运营', viewer: '只读' };
export const ACTIONS: Record<string, string> = {
  'admin.sign-in': '登录', 'admin.sign-out': '退出登录', 'inbox.retry': '重试死信', 'inbox.retry-all-dead': '重试全部死信',
  'campaign.create': '新建活动', 'campaign.plan': '生成活动计划', 'campaign.approve': '批准活动', 'campaign.remind': '提醒成员发送', 'campaign.cancel': '取消活动',
  'group-post.create': '新建群内容', 'group-post.reschedule': '群内容改期', 'group-post.cancel': '取消群内容', 'group-post.import': '导入群内容 CSV',
  'policy.save': '保存策略新版本',
};
export const INBOX: Record<string, string> = { pending: '待处理', processing: '处理中', done: '已完成', dead: '死信' };
export const OUTBOX: Record<string, string> = {
  pending: '待发送', running: '发送中', awaiting: '待成员确认', polling: '查询结果', sent: '已发送', failed: '失败', skipped: '已跳过', unknown: '结果未知',
};
