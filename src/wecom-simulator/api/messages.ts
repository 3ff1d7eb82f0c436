import { createHash, randomBytes } from 'node:crypto';
import { ApiFault, decodeCursor, encodeCursor, Endpoint, invalidParam, pageLimit, requireString, type SimContext } from './context';

const KF_TOKEN_TTL_MS = 10 * 60_000;
/** enable_duplicate_check's window: 1800 s unless given, at most 4 hours (API.md 4.14). */
export const DEFAULT_DUPLICATE_CHECK_SECONDS = 1800;
export const MAX_DUPLICATE_CHECK_SECONDS = 4 * 3600;
const APP_MSGTYPES = new Set(['text', 'textcard', 'markdown', 'template_card', 'news', 'mpnews', 'image', 'file', 'video', 'voice', 'miniprogram_notice']);

/** App messages to members, group robots and WeChat KF (API.md 4.14, 4.15, 6.2). */
export const messageEndpoints: Record<string, Endpoint> = {
  'message/send': {
    method: 'POST',
    handle(ctx, { body }) {
      if (Number(body.agentid) !== ctx.agentId) throw new ApiFault(40056, 'invalid agentid');
      const msgtype = requireString(body.msgtype, 'msgtype');
      if (!APP_MSGTYPES.has(msgtype) || typeof body[msgtype] !== 'object') throw invalidParam(`msgtype ${msgtype} needs a ${msgtype} object`);
      const content = (body[msgtype] as { content?: unknown }).content;
      if ((msgtype === 'text' || msgtype === 'markdown') && (typeof content !== 'string' || Buffer.byteLength(content) > 2048)) {
        throw new ApiFault(45002, 'content size out of limit');
      }
      const requested = typeof body.touser === 'string' ? body.touser.split('|').filter(Boolean) : [];
      const users = requested.includes('@all') ? [...ctx.state.users.keys()] : requested;
      if (users.length > 1000) throw invalidParam('touser holds at most 1000 userids');
      const valid = users.filter((u) => ctx.state.users.has(u));
      const invalid = users.filter((u) => !ctx.state.users.has(u));
      if (valid.length === 0) throw new ApiFault(81013, 'user & party & tag all invalid');
      // Per member: ≤30 messages a minute from one app (API.md 4.14).
      const rule = ctx.platform.rule('message/send:member');
      for (const u of valid) if (!ctx.platform.admit(`message/send:member:${u}`, rule)) throw new ApiFault(45009, 'api freq out of limit');
      const answer = (msgid: string) => ({ invaliduser: invalid.join('|'), invalidparty: '', invalidtag: '', unlicenseduser: '', msgid });
      const now = ctx.now();
      const fp = fingerprint(body, valid);
      if (Number(body.enable_duplicate_check ?? 0) === 1) {
        const seconds = Number(body.duplicate_check_interval ?? DEFAULT_DUPLICATE_CHECK_SECONDS);
        if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_DUPLICATE_CHECK_SECONDS) {
          throw invalidParam(`duplicate_check_interval must be 1..${MAX_DUPLICATE_CHECK_SECONDS}`);
        }
        // The same content to the same members within the interval is not delivered again; WeCom
        // answers ok all the same [M: the shape of that answer is undocumented; the simulator
        // repeats the first message's msgid].
        const original = lastDelivered(ctx.state.appMessages, fp);
        if (original && now - Number(original.at) < seconds * 1000) {
          ctx.state.appMessages.push({ msgid: original.msgid, touser: valid, msgtype, body, at: now, duplicate: true, fingerprint: fp });
          return answer(String(original.msgid));
        }
      }
      const msgid = randomBytes(12).toString('base64url');
      const card = msgtype === 'template_card' ? acceptCard(ctx, body.template_card as Record<string, unknown>, msgid, valid) : null;
      ctx.state.appMessages.push({ msgid, touser: valid, msgtype, body, at: now, duplicate: false, fingerprint: fp });
      ctx.state.deliver({ kind: 'app_message', at: now, ref: msgid, recipients: valid, content: { msgtype, [msgtype]: body[msgtype] } });
      return card ? { ...answer(msgid), response_code: card } : answer(msgid);
    },
  },

  /**
   * Replaces an interactive card for these members (API.md 4.14a): the response_code of the send
   * or of a tap, each usable once within 72 hours. A used or unknown code is refused [M: WeCom's
   * errcode for it is not documented; the simulator answers 40058].
   */
  'message/update_template_card': {
    method: 'POST',
    handle(ctx, { body }) {
      if (Number(body.agentid) !== ctx.agentId) throw new ApiFault(40056, 'invalid agentid');
      const code = requireString(body.response_code, 'response_code');
      const card = [...ctx.state.templateCards.values()].find((c) => c.codes.has(code));
      const issued = card?.codes.get(code);
      if (!card || !issued || issued.used || ctx.now() - issued.issuedAt > RESPONSE_CODE_TTL_MS) throw invalidParam('response_code is unknown, used or expired');
      const userIds = Array.isArray(body.userids) ? (body.userids as unknown[]).map(String).filter((u) => card.userIds.includes(u)) : [];
      if (userIds.length === 0) throw invalidParam('userids must name members who received the card');
      const next = body.template_card as Record<string, unknown> | undefined;
      const button = body.button as { replace_name?: unknown } | undefined;
      if (!next && typeof button?.replace_name !== 'string') throw invalidParam('needs template_card or button.replace_name');
      if (next && (next.card_type !== card.card.card_type || next.task_id !== card.taskId)) throw invalidParam('the new card must keep card_type and task_id');
      issued.used = true;
      const replaced = next ?? { ...card.card, button_list: [], replace_text: button!.replace_name };
      card.card = replaced;
      card.updates.push({ userIds, responseCode: code, card: replaced, at: ctx.now() });
      ctx.state.deliver({ kind: 'card_update', at: ctx.now(), ref: card.taskId, recipients: userIds, content: { template_card: replaced } });
      return {};
    },
  },

  /** 20 messages a minute per robot (API.md 4.15). */
  'webhook/send': {
    method: 'POST',
    authenticated: false,
    handle(ctx, { query, body }) {
      const key = query.key;
      if (!key) throw new ApiFault(93000, 'invalid webhook url');
      const msgtype = requireString(body.msgtype, 'msgtype');
      const content = (body[msgtype] as { content?: unknown } | undefined)?.content;
      const max = msgtype === 'markdown' ? 4096 : 2048;
      if ((msgtype === 'text' || msgtype === 'markdown') && (typeof content !== 'string' || Buffer.byteLength(content) > max)) {
        throw new ApiFault(40058, `${msgtype}.content is missing or longer than ${max} bytes`);
      }
      const robot = createHash('sha256').update(key).digest('hex').slice(0, 12);
      if (!ctx.platform.admit(`webhook/send:robot:${robot}`, ctx.platform.rule('webhook/send:robot'))) throw new ApiFault(45009, 'api freq out of limit');
      ctx.state.webhookMessages.push({ robot, body, at: ctx.now() });
      ctx.state.deliver({ kind: 'webhook', at: ctx.now(), ref: robot, recipients: [robot], content: body });
      return {};
    },
  },

  'kf/sync_msg': {
    method: 'POST',
    handle(ctx, { body }) {
      const openKfId = requireString(body.open_kfid, 'open_kfid');
      if (!ctx.state.kfAccounts.some((a) => a.openKfId === openKfId)) throw new ApiFault(95000, 'invalid open_kfid');
      if (typeof body.token === 'string' && body.token) {
        const issued = ctx.platform.kfTokens.get(body.token);
        if (issued === undefined || ctx.now() - issued > KF_TOKEN_TTL_MS) throw new ApiFault(95007, 'invalid msg token');
      }
      const limit = pageLimit(body.limit, 1000, 1000);
      const [offset] = decodeCursor(body.cursor, 1);
      const all = ctx.state.kfMessages.filter((m) => m.openKfId === openKfId);
      const page = all.slice(offset, offset + limit);
      const end = offset + page.length;
      return {
        next_cursor: encodeCursor([end]),
        has_more: end < all.length ? 1 : 0,
        msg_list: page.map((m) => ({
          msgid: m.msgid, open_kfid: m.openKfId, external_userid: m.externalUserId, send_time: m.sendTime, origin: m.origin,
          ...(m.servicerUserId ? { servicer_userid: m.servicerUserId } : {}), msgtype: m.msgtype, text: m.text,
        })),
      };
    },
  },
};

/** A response_code may be used once within 72 hours (API.md 4.14a). */
export const RESPONSE_CODE_TTL_MS = 72 * 3_600_000;

/**
 * A template card: one that calls back (button_interaction, vote, multiple) needs a task_id that is
 * unique per app, of letters, digits and _-@ up to 128 bytes. Returns the send's response_code.
 */
function acceptCard(ctx: SimContext, card: Record<string, unknown>, msgid: string, userIds: string[]): string | null {
  const interactive = ['button_interaction', 'vote_interaction', 'multiple_interaction'].includes(String(card.card_type));
  const taskId = card.task_id;
  if (!interactive && taskId === undefined) return null;
  if (typeof taskId !== 'string' || !/^[A-Za-z0-9_\-@]{1,128}$/.test(taskId)) throw invalidParam('template_card.task_id must be 1-128 of letters, digits and _-@');
  if (ctx.state.templateCards.has(taskId)) throw invalidParam(`template_card.task_id ${taskId} was already used`);
  const buttons = card.button_list;
  if (Array.isArray(buttons) && buttons.length > 6) throw invalidParam('template_card.button_list holds at most 6 buttons');
  const code = randomBytes(16).toString('hex');
  ctx.state.templateCards.set(taskId, { taskId, msgid, userIds, card, codes: new Map([[code, { issuedAt: ctx.now(), used: false }]]), taps: [], updates: [] });
  return code;
}

function lastDelivered(messages: Record<string, unknown>[], fp: string): Record<string, unknown> | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (!messages[i].duplicate && messages[i].fingerprint === fp) return messages[i];
  return undefined;
}

/** The message as WeCom compares it for enable_duplicate_check: everything but the check itself, recipients in any order. */
function fingerprint(body: Record<string, unknown>, recipients: string[]): string {
  const { enable_duplicate_check: _a, duplicate_check_interval: _b, touser: _c, ...rest } = body;
  return createHash('sha256').update(JSON.stringify({ ...rest, touser: [...recipients].sort() })).digest('hex');
}
