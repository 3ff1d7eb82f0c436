import { createHash } from 'node:crypto';

/**
 * The reminder bundle as a WeCom interactive card (template_card, card_type button_interaction,
 * API.md 4.14a): pure functions of what it shows. One card per rep and work slot lists at most N
 * reminders — each with the customer, what to do, and whether it is overdue — with a done and a
 * snooze button per reminder still open, "还有 M 条" and a link to the sidebar's reminder list.
 * A tap's callback carries the button key; the card is then replaced by the same card rendered
 * with the new state (update_template_card), so it is rendered here for both.
 *
 * Internal to the rep: the customer is named by the salutation from the rep's own remark (never
 * the remark's note part), as the rep sees them in WeCom.
 */

/** WeCom allows at most 6 buttons on a button_interaction card: done and snooze for 3 reminders. */
export const MAX_CARD_ITEMS = 3;

export type CardItemState = 'open' | 'done' | 'snoozed' | 'skipped' | 'closed';

export interface CardItem {
  id: number;
  externalUserId: string;
  /** How the rep calls the customer (salutation), or a fallback. */
  customer: string;
  title: string;
  overdue: boolean;
  state: CardItemState;
  /** Snoozed: until when, in words (e.g. "明天 09:00"). */
  until?: string;
}

export interface BundleCard {
  taskId: string;
  /** The slot in words, e.g. "3月2日 09:30". */
  heading: string;
  items: CardItem[];
  /** Open reminders due by the slot that the card does not list. */
  more: number;
  /** The sidebar's reminder list. */
  listUrl: string;
  /** The sidebar opened on a customer. */
  customerUrl(externalUserId: string): string;
}

export type CardAction = 'done' | 'snooze';

/** The button's key: what a tap's callback echoes back (≤ 1024 bytes). */
export function buttonKey(reminderId: number, action: CardAction): string {
  return `rem:${reminderId}:${action}`;
}

export function parseButtonKey(key: string): { reminderId: number; action: CardAction } | null {
  const m = /^rem:(\d{1,15}):(done|snooze)$/.exec(key);
  return m ? { reminderId: Number(m[1]), action: m[2] as CardAction } : null;
}

/** The outbox key of a rep's bundle for one slot: one bundle per rep per slot, whatever runs it. */
export function bundleKey(userId: string, slotAt: number): string {
  return `reminders:${userId}:${new Date(slotAt).toISOString()}`;
}

/**
 * The card's task_id: unique per app, letters, digits and `_-@`, ≤ 128 bytes (API.md 4.14a).
 * It names the slot and the rep (hashed: a userid may hold other characters), so a tap's TaskId
 * leads back to the bundle it came from.
 */
export function taskIdFor(userId: string, slotAt: number): string {
  const d = new Date(slotAt).toISOString();
  const stamp = d.slice(0, 4) + d.slice(5, 7) + d.slice(8, 10) + d.slice(11, 13) + d.slice(14, 16);
  return `fcr-${stamp}-${repHash(userId)}`;
}

/** The slot of a bundle's task_id, when it is one of ours and belongs to this member. */
export function slotOfTaskId(taskId: string, userId: string): number | null {
  const m = /^fcr-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})-([0-9a-f]{12})$/.exec(taskId);
  if (!m || m[6] !== repHash(userId)) return null;
  const at = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isFinite(at) ? at : null;
}

function repHash(userId: string): string {
  return createHash('sha256').update(userId).digest('hex').slice(0, 12);
}

/** The reminder ids a card lists, in order, read back from its buttons (as sent, every item is open and has them). */
export function cardItemIds(card: Record<string, unknown>): number[] {
  const ids: number[] = [];
  for (const b of (card.button_list as { key?: string }[] | undefined) ?? []) {
    const k = b.key ? parseButtonKey(b.key) : null;
    if (k && !ids.includes(k.reminderId)) ids.push(k.reminderId);
  }
  return ids;
}

/** The template_card object of message/send (and of update_template_card). */
export function bundleCard(b: BundleCard): Record<string, unknown> {
  const items = b.items.slice(0, MAX_CARD_ITEMS);
  const open = items.filter((i) => i.state === 'open');
  const pending = open.length + b.more;
  const overdue = open.filter((i) => i.overdue).length;
  const desc = pending === 0 ? `${b.heading} · 已全部处理` : `${b.heading} · 待办 ${pending} 条${overdue ? `，${overdue} 条已逾期` : ''}`;
  return {
    card_type: 'button_interaction',
    source: { desc: '分寸 · 客户关怀' },
    main_title: { title: '今天的客户关怀', desc },
    horizontal_content_list: items.map((i, n) => ({
      keyname: clip(`${n + 1}. ${i.customer}`, 8),
      value: clip(stateText(i), 26),
      type: 1,
      url: b.customerUrl(i.externalUserId),
    })),
    jump_list: [{ type: 1, title: b.more > 0 ? `还有 ${b.more} 条，查看全部待办` : '查看全部待办', url: b.listUrl }],
    card_action: { type: 1, url: b.listUrl },
    task_id: b.taskId,
    button_list: items.flatMap((i, n) => i.state !== 'open' ? [] : [
      { text: `${n + 1} 完成`, style: 1, key: buttonKey(i.id, 'done') },
      { text: `${n + 1} 明天再办`, style: 2, key: buttonKey(i.id, 'snooze') },
    ]),
  };
}

function stateText(i: CardItem): string {
  switch (i.state) {
    case 'open': return i.overdue ? `逾期 · ${i.title}` : i.title;
    case 'done': return `✓ 已完成 · ${i.title}`;
    case 'snoozed': return `已推迟到${i.until ?? '稍后'} · ${i.title}`;
    case 'skipped': return `已跳过 · ${i.title}`;
    case 'closed': return `已关闭 · ${i.title}`;
  }
}

/** WeCom clips long card text itself, mid-character; clip on our terms, with an ellipsis. */
function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}
