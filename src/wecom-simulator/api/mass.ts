import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { WELCOME_WINDOW_MS } from '../platform';
import type { MsgTemplate, MsgTemplateRecipient, SimState } from '../state';
import {
  ApiFault, decodeCursor, encodeCursor, Endpoint, invalidParam, pageLimit, requireString, seconds, SimContext, stringList,
} from './context';

/**
 * Corp mass messages and welcome messages (API.md 4.10–4.12, 5). A template is a task per
 * sending member, confirmed later through the admin API as a rep would in the WeCom client.
 * Customers and customer groups follow WeCom's current quota (section 5): corp and member mass
 * messages counted together, at most as many per calendar month as the month has days, or 7 per
 * week, or 1 per day on Beijing time, as `state.massQuota` says. Recipients already at the quota go
 * to fail_list; those who reach it before the rep confirms get status 3. A member confirms when the admin API says
 * so, or on their own per their confirmation mode (immediately, after a delay, never).
 */
const MAX_LIST_RANGE_SECONDS = 31 * 86_400;

export const massEndpoints: Record<string, Endpoint> = {
  'externalcontact/add_msg_template': {
    method: 'POST',
    handle(ctx, { body }) {
      settleConfirmations(ctx);
      const chatType = body.chat_type ?? 'single';
      if (chatType !== 'single' && chatType !== 'group') throw invalidParam('chat_type must be single or group');
      const sender = typeof body.sender === 'string' && body.sender ? body.sender : undefined;
      if (sender && !ctx.state.users.has(sender)) throw new ApiFault(60111, 'sender not found');
      const text = (body.text as { content?: unknown } | undefined)?.content;
      const attachments = Array.isArray(body.attachments) ? body.attachments : [];
      if ((typeof text !== 'string' || text === '') && attachments.length === 0) throw invalidParam('text or attachments is required');
      if (attachments.length > 9) throw invalidParam('at most 9 attachments');
      const now = ctx.now();
      const failList: string[] = [];
      const recipients: MsgTemplateRecipient[] = [];
      if (chatType === 'single') {
        const ids = stringList(body.external_userid, 'external_userid');
        if (ids.length > 10_000) throw invalidParam('external_userid holds at most 10000 ids');
        if (ids.length === 0 && !sender) throw invalidParam('external_userid or sender is required');
        const wanted = ids.length ? [...new Set(ids)] : [...(ctx.state.followsByUser.get(sender!)?.keys() ?? [])];
        for (const ext of wanted) {
          const followers = ctx.state.follows.get(ext);
          const userId = sender ? (followers?.has(sender) ? sender : undefined) : followers?.keys().next().value;
          if (!userId || quotaReached(ctx.state, ext, now)) failList.push(ext);
          else recipients.push({ userId, externalUserId: ext, status: 0 });
        }
      } else {
        const only = new Set(stringList(body.chat_id_list, 'chat_id_list'));
        for (const c of ctx.state.groupChats.values()) {
          if ((sender && c.owner !== sender) || (only.size && !only.has(c.chatId))) continue;
          if (quotaReached(ctx.state, c.chatId, now)) failList.push(c.chatId);
          else recipients.push({ userId: c.owner, chatId: c.chatId, status: 0 });
        }
      }
      const msgId = 'msg' + randomBytes(16).toString('base64url');
      const tasks = new Map(recipients.map((r) => [r.userId, { status: 0 }] as const));
      ctx.state.msgTemplates.set(msgId, {
        msgId, chatType, creator: sender ?? '', createTime: seconds(now), text: typeof text === 'string' ? text : undefined,
        attachments, tasks, recipients, failList,
      });
      // The task reaches each sending member as a request to confirm; a second task is a second ask.
      ctx.state.deliver({
        kind: 'mass_task', at: now, ref: msgId, sender, recipients: recipients.map((r) => r.externalUserId ?? r.chatId!),
        content: { text: typeof text === 'string' ? text : undefined, attachments },
      });
      applyConfirmModes(ctx, msgId);
      return { fail_list: failList, msgid: msgId };
    },
  },

  'externalcontact/get_groupmsg_list_v2': {
    method: 'POST',
    handle(ctx, { body }) {
      settleConfirmations(ctx);
      const chatType = requireString(body.chat_type, 'chat_type');
      const start = Number(body.start_time);
      const end = Number(body.end_time);
      if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) throw invalidParam('start_time/end_time');
      // WeCom lists at most one month at a time (API.md 4.11 [M]); a lookup must ask for less.
      if (end - start > MAX_LIST_RANGE_SECONDS) throw invalidParam('start_time and end_time may be at most one month apart');
      const filterType = Number(body.filter_type ?? 2);
      const limit = pageLimit(body.limit, 50, 100);
      const [offset] = decodeCursor(body.cursor, 1);
      const creator = typeof body.creator === 'string' && body.creator ? body.creator : null;
      // Every template the simulator holds was created through the API, i.e. by the corp (create_type 0).
      const all = filterType === 1 ? [] : [...ctx.state.msgTemplates.values()].filter(
        (m) => m.chatType === chatType && m.createTime >= start && m.createTime <= end && (!creator || m.creator === creator),
      );
      const page = all.slice(offset, offset + limit);
      return {
        group_msg_list: page.map((m) => ({
          msgid: m.msgId, creator: m.creator, create_time: m.createTime, create_type: 0,
          ...(m.text !== undefined ? { text: { content: m.text } } : {}), attachments: m.attachments,
        })),
        next_cursor: offset + page.length < all.length ? encodeCursor([offset + page.length]) : '',
      };
    },
  },

  'externalcontact/get_groupmsg_task': {
    method: 'POST',
    handle(ctx, { body }) {
      settleConfirmations(ctx);
      const m = template(ctx, body.msgid);
      const limit = pageLimit(body.limit, 500, 1000);
      const [offset] = decodeCursor(body.cursor, 1);
      const all = [...m.tasks.entries()];
      const page = all.slice(offset, offset + limit);
      return {
        task_list: page.map(([userid, t]) => ({ userid, status: t.status, ...(t.sendTime ? { send_time: t.sendTime } : {}) })),
        next_cursor: offset + page.length < all.length ? encodeCursor([offset + page.length]) : '',
      };
    },
  },

  'externalcontact/get_groupmsg_send_result': {
    method: 'POST',
    handle(ctx, { body }) {
      settleConfirmations(ctx);
      const m = template(ctx, body.msgid);
      const userId = requireString(body.userid, 'userid');
      const limit = pageLimit(body.limit, 500, 1000);
      const [offset] = decodeCursor(body.cursor, 1);
      const all = m.recipients.filter((r) => r.userId === userId);
      const page = all.slice(offset, offset + limit);
      return {
        send_list: page.map((r) => ({
          ...(r.externalUserId ? { external_userid: r.externalUserId } : {}), ...(r.chatId ? { chat_id: r.chatId } : {}),
          userid: r.userId, status: r.status, ...(r.sendTime ? { send_time: r.sendTime } : {}),
        })),
        next_cursor: offset + page.length < all.length ? encodeCursor([offset + page.length]) : '',
      };
    },
  },

  /** Nudges the members who have not sent; WeCom allows 3 per task per 24 h (API.md 4.10). */
  'externalcontact/remind_groupmsg_send': {
    method: 'POST',
    handle(ctx, { body }) {
      const m = template(ctx, body.msgid);
      const now = ctx.now();
      const recent = (m.reminders ?? []).filter((at) => at > now - 86_400_000);
      if (recent.length >= 3) throw invalidParam('reminded 3 times in 24 hours');
      m.reminders = [...recent, now];
      return {};
    },
  },

  /** Stops a task: members can no longer send it; what was sent stays sent. */
  'externalcontact/cancel_groupmsg_send': {
    method: 'POST',
    handle(ctx, { body }) {
      template(ctx, body.msgid).cancelled = true;
      return {};
    },
  },

  /** Only within 20 s of the add event, and only once: otherwise 41051. */
  'externalcontact/send_welcome_msg': {
    method: 'POST',
    handle(ctx, { body }) {
      const code = requireString(body.welcome_code, 'welcome_code');
      const text = (body.text as { content?: unknown } | undefined)?.content;
      const attachments = Array.isArray(body.attachments) ? body.attachments : [];
      if ((typeof text !== 'string' || text === '') && attachments.length === 0) throw invalidParam('text or attachments is required');
      if (attachments.length > 9) throw invalidParam('at most 9 attachments');
      const w = ctx.platform.welcomeCodes.get(code);
      if (!w || w.used || ctx.now() - w.issuedAt > WELCOME_WINDOW_MS) throw new ApiFault(41051, 'externaluser has started chatting');
      w.used = true;
      ctx.state.welcomeMessages.push({ welcomeCode: code, userId: w.userId, externalUserId: w.externalUserId, body, at: ctx.now() });
      ctx.state.deliver({
        kind: 'welcome', at: ctx.now(), ref: code, sender: w.userId, recipients: [w.externalUserId],
        content: { text: typeof text === 'string' ? text : undefined, attachments },
      });
      return {};
    },
  },
};

function template(ctx: SimContext, msgId: unknown): MsgTemplate {
  const m = ctx.state.msgTemplates.get(requireString(msgId, 'msgid'));
  if (!m) throw invalidParam('msgid not found');
  return m;
}

/** Calendar month in China time: the platform's receiving limit is per calendar month. */
export function monthKey(ms: number): string {
  return DateTime.fromMillis(ms, { zone: 'Asia/Shanghai' }).toFormat('yyyy-MM');
}

export function receivedCount(state: SimState, recipient: string, now: number): number {
  return state.receivedThisMonth.get(`${recipient}|${monthKey(now)}`) ?? 0;
}

/**
 * A member confirms their part of a template in the WeCom client: their recipients are sent
 * (1), no longer friends (2), or over the monthly receiving cap by now (3). Returns how many
 * recipients the confirmation covered.
 */
export function confirmTemplate(ctx: SimContext, msgId: string, userId?: string): { confirmed: number; statuses: Record<number, number> } {
  const m = ctx.state.msgTemplates.get(msgId);
  if (!m) throw new Error(`no msg template ${msgId}`);
  const now = ctx.now();
  const statuses: Record<number, number> = {};
  let confirmed = 0;
  if (m.cancelled) return { confirmed, statuses };
  for (const [member, task] of m.tasks) {
    if ((userId && member !== userId) || task.status !== 0) continue;
    task.status = 2;
    task.sendTime = seconds(now);
    const sent: string[] = [];
    for (const r of m.recipients) {
      if (r.userId !== member || r.status !== 0) continue;
      const target = r.externalUserId ?? r.chatId!;
      const stillThere = r.externalUserId ? !!ctx.state.getFollow(member, r.externalUserId) : ctx.state.groupChats.has(r.chatId!);
      if (!stillThere) r.status = 2;
      else if (quotaReached(ctx.state, target, now)) r.status = 3;
      else {
        r.status = 1;
        r.sendTime = seconds(now);
        sent.push(target);
        ctx.state.groupReceived.set(target, [...(ctx.state.groupReceived.get(target) ?? []), now]);
        const key = `${target}|${monthKey(now)}`;
        ctx.state.receivedThisMonth.set(key, (ctx.state.receivedThisMonth.get(key) ?? 0) + 1);
      }
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      confirmed++;
    }
    if (sent.length) ctx.state.deliver({ kind: 'mass_sent', at: now, ref: m.msgId, sender: member, recipients: sent, content: { text: m.text, attachments: m.attachments } });
  }
  return { confirmed, statuses };
}

/**
 * Whether a customer (external user id) or customer group (chat id) has used its quota window on
 * Beijing time under the corp's setting (API.md 5). `state.groupReceived` holds the delivery
 * instants of both kinds of recipient (their ids never collide).
 */
export function quotaReached(state: SimState, recipient: string, now: number): boolean {
  const t = DateTime.fromMillis(now, { zone: 'Asia/Shanghai' });
  const unit = state.massQuota === 'one_per_day' ? 'day' : state.massQuota === 'seven_per_week' ? 'week' : 'month';
  const max = unit === 'day' ? 1 : unit === 'week' ? 7 : t.daysInMonth!;
  const start = t.startOf(unit).toMillis();
  const end = t.startOf(unit).plus({ [unit + 's']: 1 }).toMillis();
  return (state.groupReceived.get(recipient) ?? []).filter((at) => at >= start && at < end).length >= max;
}

/** A new task meets each member's confirmation mode: confirmed now, at a later instant, or left waiting. */
function applyConfirmModes(ctx: SimContext, msgId: string): void {
  const m = ctx.state.msgTemplates.get(msgId)!;
  for (const [member, task] of m.tasks) {
    const mode = ctx.state.confirmModes.get(member);
    if (mode?.mode === 'immediately') confirmTemplate(ctx, msgId, member);
    else if (mode?.mode === 'after') task.confirmAt = ctx.now() + mode.delayMs;
  }
}

/** Delayed confirmations whose time has come on the simulator's clock (settled lazily, before any read). */
export function settleConfirmations(ctx: SimContext): void {
  const now = ctx.now();
  for (const m of ctx.state.msgTemplates.values()) {
    for (const [member, task] of m.tasks) {
      if (task.status === 0 && task.confirmAt !== undefined && task.confirmAt <= now) {
        const at = task.confirmAt;
        delete task.confirmAt;
        if (!m.cancelled) confirmTemplate(Object.assign(Object.create(ctx) as SimContext, { now: () => at }), m.msgId, member);
      }
    }
  }
}
