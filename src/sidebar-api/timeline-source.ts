import type { Sql } from '../db/database';
import { placeholders } from '../db/sql';
import { findTagNames } from '../tags/repository';
import { getTimeline, type TimelineFilter, type TimelineItem, type TimelinePage } from '../timeline/timeline';
import { followUpTitle } from '../followups/wording';
import type { Formatter } from './format';
import type { TimelineItemView, TimelineKind, TimelinePageView } from './types';

/** The customer's timeline (src/timeline) as the sidebar shows it: one zh-CN line per event. */

const CATEGORY: Record<string, string> = {
  care: '关怀', marketing: '营销', welcome: '欢迎语', group_content: '群发', service: '回复', reminder: '提醒', digest: '日报',
};
const CHANNEL: Record<string, string> = { kf: '微信客服', archive: '', app: '应用', fencun: '分寸' };
const MSG_TYPES: Record<string, string> = {
  image: '[图片]', voice: '[语音]', video: '[视频]', file: '[文件]', link: '[链接]', location: '[位置]', emotion: '[表情]',
  miniprogram: '[小程序]', card: '[名片]', news: '[图文]',
};
/** The actor of a change a sync run found: WeCom had it, no event told us who or exactly when. */
const SYNCED = '企业微信同步';
const EDITS = new Set<string>(['tag_added', 'tag_removed', 'follow_edited']);

/** Personal tags are stored as personal:<name> (a rep's own tag has no id in WeCom). */
function personalTag(id: string): string | null {
  return id.startsWith('personal:') ? id.slice('personal:'.length) : null;
}

const ENDED_BY: Record<string, string> = {
  customer_deleted: '客户删除了顾问', rep_deleted: '顾问删除了客户', transfer: '客户已转交其他顾问', sync: '好友关系已结束',
};

export class TimelineSource {
  constructor(private readonly db: Sql) {}

  page(externalUserId: string, o: { before?: string; limit: number; only?: TimelineFilter | null }): Promise<TimelinePage> {
    return getTimeline(this.db, externalUserId, o);
  }

  async view(page: TimelinePage, f: Formatter): Promise<TimelinePageView> {
    // What Fencun sent is both a message and a touch at the same instant: show it once.
    const sentAt = new Set(page.items.filter((i) => i.kind === 'message' && i.direction === 'out').map((i) => i.at));
    const items = page.items.filter((i) => !(i.kind === 'touch' && (i.category === 'service' || sentAt.has(i.at))));
    const [names, tags] = await Promise.all([this.memberNames(items), this.tagNames(items)]);
    return { items: items.map((i) => itemView(i, f, names, tags)), nextCursor: page.next };
  }

  /**
   * Tag changes from events and syncs carry only the tag id ("etHC4j6wmJy04FKY7rZz1cT"): the
   * library has the name a rep knows.
   */
  private tagNames(items: TimelineItem[]): Promise<Map<string, string>> {
    const ids = new Set<string>();
    for (const i of items) {
      if (i.kind !== 'change' || (i.change !== 'tag_added' && i.change !== 'tag_removed')) continue;
      const id = i.detail?.tagId;
      if (typeof id === 'string' && id && !i.detail?.tagName) ids.add(id);
    }
    return findTagNames(this.db, [...ids]);
  }

  private async memberNames(items: TimelineItem[]): Promise<Map<string, string>> {
    const ids = [...new Set(items.map((i) => ('userId' in i ? i.userId : null)).filter((u): u is string => !!u))];
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<{ user_id: string; name: string }>(
      `SELECT user_id, name FROM members WHERE user_id IN (${placeholders(ids.length)})`, ids);
    return new Map(rows.filter((r) => r.name).map((r) => [r.user_id, r.name]));
  }
}

function itemView(i: TimelineItem, f: Formatter, names: Map<string, string>, tags: Map<string, string>): TimelineItemView {
  const who = (u: string | null) => (u ? names.get(u) ?? u : null);
  const base = { id: `${i.kind}:${i.id}`, at: new Date(i.at).toISOString(), atLabel: f.past(i.at) };
  const v = (kind: TimelineKind, title: string, body: string | null, actor: string | null): TimelineItemView => ({ ...base, kind, title, body, actor });
  switch (i.kind) {
    case 'message': {
      const body = i.text ?? MSG_TYPES[i.msgType] ?? `[${i.msgType}]`;
      const where = i.chatId ? '（群聊）' : CHANNEL[i.channel] ? `（${CHANNEL[i.channel]}）` : '';
      if (i.direction === 'in') return v('message_in', `客户消息${where}`, body, null);
      const what = i.category && i.category !== 'service' ? `发送${CATEGORY[i.category] ?? ''}` : '回复客户';
      return v('message_out', `${what}${where}`, body, who(i.userId));
    }
    case 'order':
      return v('order', i.amount < 0 ? `退款 ${f.yuan(-i.amount)}` : `下单 ${f.yuan(i.amount)}`, i.product, null);
    case 'note':
      if (!i.isComplaint && i.followType) return v('note', followUpTitle(i.followType, i.nextFollowUpAt ?? null, f), i.text, who(i.userId));
      return v(i.isComplaint ? 'complaint' : 'note', i.isComplaint ? '投诉记录' : '跟进记录', i.text, who(i.userId));
    case 'touch':
      return v('touch', `主动联系（${CATEGORY[i.category] ?? i.category}）`, null, who(i.userId));
    case 'change':
      // A tag or remark a sync found in WeCom was set by someone, somewhere, some time: crediting
      // the rep whose relation it is would be a guess. (An added friend is still that rep's.)
      return changeView(i, v, i.origin === 'sync' && EDITS.has(i.change) ? () => SYNCED : who, tags);
  }
}

function changeView(
  i: Extract<TimelineItem, { kind: 'change' }>,
  v: (kind: TimelineKind, title: string, body: string | null, actor: string | null) => TimelineItemView,
  who: (u: string | null) => string | null,
  tags: Map<string, string>,
): TimelineItemView {
  const d = i.detail ?? {};
  const text = (k: string) => (typeof d[k] === 'string' && d[k] ? String(d[k]) : null);
  const tag = () => {
    const id = text('tagId');
    return text('tagName') ?? (id ? tags.get(id) ?? personalTag(id) ?? '标签库中没有的标签' : '');
  };
  switch (i.change) {
    case 'follow_added':
      return v('follow', d.again ? '重新添加为好友' : '添加为好友', null, who(i.userId));
    case 'follow_half_added':
      return v('follow', '添加为好友（待通过）', null, who(i.userId));
    case 'follow_ended':
      return v('follow', ENDED_BY[String(d.endedBy)] ?? '好友关系已结束', null, who(i.userId));
    case 'follow_edited':
      return v('follow', '修改了备注', text('remark') ?? text('description') ?? text('remarkCorpName'), who(i.userId));
    case 'tag_added':
      return v('tag', `打上标签「${tag()}」`, null, who(i.userId));
    case 'tag_removed':
      return v('tag', `移除标签「${tag()}」`, null, who(i.userId));
    case 'group_joined':
      return v('follow', `加入客户群「${text('groupName') ?? ''}」`, null, null);
    case 'group_left':
      return v('follow', `退出客户群「${text('groupName') ?? ''}」`, null, null);
    case 'archive_agreed':
      return v('other', '同意了会话存档', null, null);
    case 'transfer_failed':
      return v('other', '客户转接失败', null, who(i.userId));
    default:
      return v('other', String(i.change), null, who(i.userId));
  }
}
