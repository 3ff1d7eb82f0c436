import { z } from 'zod';

/**
 * Complaints: keyword detection that *suggests* (a rep confirms; words like 退款 are also said by
 * happy customers) and the pure state rules of a complaint's life:
 *
 *   open ──confirm──▶ confirmed ──close──▶ closed (with resolution)
 *     └──────────close─────────────────────▲   └──reopen──▶ confirmed (or open)
 *
 * `open` means flagged and awaiting a rep's confirmation. Pressure treats open and confirmed
 * alike (no marketing while someone may be unhappy); dismissing a flag as not_a_complaint
 * leaves no cooldown behind.
 */

export const ComplaintsConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  keywords: z
    .array(
      z.strictObject({
        word: z.string().min(1, 'must be a non-empty word such as 投诉'),
        severity: z.enum(['high', 'normal'], { error: 'must be "high" or "normal"' }),
      }),
    )
    .min(1, 'must list at least one keyword, e.g. [{"word":"投诉","severity":"high"}]'),
  /** Phrases that contain a keyword but are not complaints, e.g. 不是投诉, 退款已到账. */
  ignorePhrases: z.array(z.string().min(1, 'must be a non-empty phrase such as 不是投诉')).default([]),
});
export type ComplaintsConfig = z.infer<typeof ComplaintsConfigSchema>;

export interface ComplaintSuggestion {
  severity: 'high' | 'normal';
  /** Matched keywords in order of appearance, without repeats. */
  keywords: string[];
  /** zh-CN prompt for the rep, e.g. "可能是投诉（提到：退款、不满意），请确认". */
  label: string;
  /** Up to 40 characters of the message around the first match. */
  excerpt: string;
}

/**
 * NFKC folds full-width letters and digits (１２３１５ → 12315) so keywords match either form.
 * Folded per character with a map back to the original, so the excerpt shows what was written.
 */
function fold(text: string): { folded: string; origin: number[] } {
  let folded = '';
  const origin: number[] = [];
  let i = 0;
  for (const ch of text) {
    const f = ch.normalize('NFKC').replace(/[\u200b-\u200d\ufeff]/g, '').toLowerCase();
    folded += f;
    for (let k = 0; k < f.length; k++) origin.push(i);
    i += ch.length;
  }
  return { folded, origin };
}

function normalize(text: string): string {
  return fold(text).folded;
}

function occurrences(haystack: string, needle: string): number[] {
  const out: number[] = [];
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) out.push(i);
  return out;
}

export function detectComplaint(text: string, config: ComplaintsConfig): ComplaintSuggestion | null {
  const { folded: t, origin } = fold(text);
  const ignored = config.ignorePhrases.flatMap((p) => {
    const n = normalize(p);
    return occurrences(t, n).map((start) => [start, start + n.length] as const);
  });
  const hits: { word: string; severity: 'high' | 'normal'; index: number }[] = [];
  for (const k of config.keywords) {
    const w = normalize(k.word);
    for (const index of occurrences(t, w)) {
      const inside = ignored.some(([s, e]) => index >= s && index + w.length <= e);
      if (!inside) hits.push({ word: k.word, severity: k.severity, index });
    }
  }
  if (hits.length === 0) return null;
  hits.sort((a, b) => a.index - b.index);
  const keywords = [...new Set(hits.map((h) => h.word))];
  const severity = hits.some((h) => h.severity === 'high') ? 'high' : 'normal';
  const start = Math.max(0, origin[hits[0].index] - 15);
  const excerpt = (start > 0 ? '…' : '') + text.slice(start, start + 40);
  return { severity, keywords, label: `可能是投诉（提到：${keywords.join('、')}），请确认`, excerpt };
}

export type ComplaintStatus = 'open' | 'confirmed' | 'closed';
export type ComplaintResolutionCode = 'resolved' | 'refunded' | 'compensated' | 'unresolved' | 'not_a_complaint';

export const RESOLUTION_LABELS: Record<ComplaintResolutionCode, string> = {
  resolved: '已解决',
  refunded: '已退款',
  compensated: '已补偿',
  unresolved: '未能解决',
  not_a_complaint: '不是投诉',
};

export interface Complaint {
  id: string;
  customerId: string;
  status: ComplaintStatus;
  /** `keyword`: flagged by detectComplaint; `rep`: filed by a rep. */
  source: 'keyword' | 'rep';
  openedAt: Date;
  confirmedAt: Date | null;
  confirmedBy: string | null;
  closedAt: Date | null;
  closedBy: string | null;
  resolution: { code: ComplaintResolutionCode; note: string } | null;
}

export type ComplaintAction =
  | { type: 'confirm'; by: string }
  | { type: 'close'; by: string; resolution: ComplaintResolutionCode; note: string }
  | { type: 'reopen'; by: string };

export type ComplaintTransition =
  | { ok: true; complaint: Complaint }
  | { ok: false; code: 'INVALID_TRANSITION' | 'RESOLUTION_NOTE_REQUIRED' | 'TIME_BEFORE_OPENED'; message: string };

export function openComplaint(input: { id: string; customerId: string; source: 'keyword' | 'rep' }, at: Date): Complaint {
  return { ...input, status: 'open', openedAt: at, confirmedAt: null, confirmedBy: null, closedAt: null, closedBy: null, resolution: null };
}

const fail = (code: 'INVALID_TRANSITION' | 'RESOLUTION_NOTE_REQUIRED' | 'TIME_BEFORE_OPENED', message: string): ComplaintTransition => ({
  ok: false,
  code,
  message,
});

export function applyComplaintAction(c: Complaint, action: ComplaintAction, at: Date): ComplaintTransition {
  if (at.getTime() < c.openedAt.getTime()) return fail('TIME_BEFORE_OPENED', '操作时间早于投诉登记时间');
  switch (action.type) {
    case 'confirm':
      if (c.status !== 'open') return fail('INVALID_TRANSITION', `只能确认待确认的投诉（当前：${c.status}）`);
      return { ok: true, complaint: { ...c, status: 'confirmed', confirmedAt: at, confirmedBy: action.by } };
    case 'close':
      if (c.status === 'closed') return fail('INVALID_TRANSITION', '投诉已关闭');
      // Once confirmed it was a complaint; closing it as "not a complaint" would erase that.
      if (c.status === 'confirmed' && action.resolution === 'not_a_complaint') {
        return fail('INVALID_TRANSITION', '已确认的投诉不能标记为“不是投诉”');
      }
      // The next rep to meet this customer needs to know how it ended.
      if (action.resolution !== 'not_a_complaint' && action.note.trim() === '') {
        return fail('RESOLUTION_NOTE_REQUIRED', '关闭投诉需要填写处理结果');
      }
      return {
        ok: true,
        complaint: { ...c, status: 'closed', closedAt: at, closedBy: action.by, resolution: { code: action.resolution, note: action.note.trim() } },
      };
    case 'reopen':
      if (c.status !== 'closed') return fail('INVALID_TRANSITION', '只能重新打开已关闭的投诉');
      return {
        ok: true,
        complaint: { ...c, status: c.confirmedAt ? 'confirmed' : 'open', closedAt: null, closedBy: null, resolution: null },
      };
  }
}

/** What the pressure policy (and the lifecycle stage) needs from a customer's complaints. */
export interface ComplaintPressure {
  /** Earliest open/confirmed complaint still in progress; null if none. */
  openSince: Date | null;
  /** Latest close of a real complaint (dismissed flags leave no cooldown); null if none. */
  lastClosedAt: Date | null;
  /**
   * Every complaint in progress is a keyword suggestion nobody has confirmed yet. Pressure still
   * holds marketing back (someone may be unhappy), but nothing may call it a complaint in progress.
   */
  unconfirmed?: boolean;
  /** How the latest real complaint (`lastClosedAt`) ended: a refund or no resolution is not a happy ending. */
  lastClosedResolution?: ComplaintResolutionCode | null;
}

export function complaintPressure(complaints: Complaint[]): ComplaintPressure {
  let openSince: number | null = null;
  let lastClosedAt: number | null = null;
  let lastClosedResolution: ComplaintResolutionCode | null = null;
  let confirmedOpen = false;
  for (const c of complaints) {
    if (c.status !== 'closed') {
      openSince = Math.min(openSince ?? Infinity, c.openedAt.getTime());
      if (c.status === 'confirmed') confirmedOpen = true;
    } else if (c.closedAt && c.resolution?.code !== 'not_a_complaint' && c.closedAt.getTime() >= (lastClosedAt ?? 0)) {
      lastClosedAt = c.closedAt.getTime();
      lastClosedResolution = c.resolution?.code ?? null;
    }
  }
  return {
    openSince: openSince === null ? null : new Date(openSince),
    lastClosedAt: lastClosedAt === null ? null : new Date(lastClosedAt),
    unconfirmed: openSince !== null && !confirmedOpen,
    lastClosedResolution,
  };
}
