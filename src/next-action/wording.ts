/**
 * What may go into a 话术 the customer reads: how to address them and how to name a product.
 * A rep's remark is a private note ("陈先生-意向强", "谢总-门店"); an order title is a SKU line
 * ("有机奶粉 3段 x6", "山茶花面霜（2瓶）"). Neither may reach the customer as written.
 */

export interface SalutationRule {
  /**
   * wecom_name: always the customer's own WeCom/WeChat name.
   * remark_prefix: the rep's remark only up to the first separator ("谢总-门店" → "谢总"), else the WeCom name.
   */
  source: 'wecom_name' | 'remark_prefix';
  /** Characters that end the customer-safe part of a remark. */
  separators: string[];
}

export const DEFAULT_SALUTATION: SalutationRule = {
  source: 'remark_prefix',
  separators: ['-', '－', '—', '–', '_', '|', '｜', '/', '／', '·', ' ', '　', '(', '（', '[', '【', ',', '，', ':', '：'],
};

// Emoji, pictographs, dingbats, variation selectors and joiners: decoration, not a name.
const DECORATION = /[\p{Extended_Pictographic}\u{1F1E6}-\u{1F1FF}\u{FE0E}\u{FE0F}\u{200D}\u{20E3}\u2600-\u27BF\u2B00-\u2BFF★☆✦✧♡♥❤]/gu;
/** Punctuation left at either end once decoration is gone ("~小王~", "·陈姐"). */
const EDGE_PUNCT = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;

/** A name with decoration and edge punctuation removed; '' when nothing readable is left. */
export function cleanName(raw: string | null | undefined): string {
  if (!raw) return '';
  return raw.replace(DECORATION, '').replace(EDGE_PUNCT, '').trim();
}

/** External user ids ("wmXXXX…") are never a name. */
function looksLikeId(s: string): boolean {
  return /^(wm|wo)[A-Za-z0-9_-]{10,}$/.test(s);
}

/**
 * How a 话术 addresses the customer, by the configured rule. Never the whole remark: only what
 * comes before a separator, and never an id. '' means "address nobody by name" (the templates
 * then read "您好，…").
 */
export function salutation(rule: SalutationRule, remark: string | null | undefined, wecomName: string | null | undefined): string {
  const name = cleanName(wecomName);
  const safeName = name && !looksLikeId(name) ? name : '';
  if (rule.source === 'wecom_name' || !remark) return safeName;
  // A leading bracketed label ("【VIP】王姐") is a note in front of the name.
  let head = remark.replace(/^\s*(?:[【\[(（〔][^】\])）〕]*[】\])）〕]\s*)+/u, '');
  for (const sep of rule.separators) {
    // Everything from the first separator on is the note; a remark that starts with one ("-意向强") has no name.
    const i = head.indexOf(sep);
    if (i >= 0) head = head.slice(0, i);
  }
  const cleaned = cleanName(head);
  // A remark that is all note and no name (or a separator right away) falls back to the WeCom name.
  return cleaned && !looksLikeId(cleaned) ? cleaned : safeName;
}

/**
 * A product as a person would say it: "有机奶粉 3段 x6" → "有机奶粉 3段", "山茶花面霜（2瓶）" → "山茶花面霜",
 * "SKU-20391 修护精华" → "修护精华". Quantities, pack counts, bracketed specs and codes are dropped.
 */
export function productName(raw: string | null | undefined): string {
  if (!raw) return '';
  let s = raw.normalize('NFKC');
  // Bracketed specs and notes: （2瓶）, (企业采购), [赠品], 【限量】.
  s = s.replace(/[（(［\[【〔][^）)］\]】〕]*[）)］\]】〕]/g, ' ');
  // Quantities: x6, X 2, ×3, *6, 6件, 2瓶装, 2盒, 共3件.
  s = s.replace(/(^|\s|[^\p{L}\p{N}])[x×*]\s*\d+\b/giu, '$1');
  s = s.replace(/[x×*]\s*\d+$/iu, '');
  s = s.replace(/\s*共?\d+\s*(件|瓶|盒|罐|袋|支|包|套|份|箱|听|个|只|片)装?$/u, '');
  // Codes: tokens mixing letters and digits or long digit runs (SKU-20391, A1029, 6901234567890).
  s = s.split(/\s+/).filter((w) => !isCode(w)).join(' ');
  return s.replace(/\s{2,}/g, ' ').replace(EDGE_PUNCT, '').trim();
}

function isCode(word: string): boolean {
  if (/^(sku|spu|no|货号|编号)[-_:：.]?\w*$/i.test(word)) return true;
  if (/^\d{5,}$/.test(word)) return true;
  return /^[A-Za-z]+[-_]?\d{2,}[A-Za-z0-9-]*$/.test(word) || /^\d+[A-Za-z]+\d+[A-Za-z0-9-]*$/.test(word);
}
