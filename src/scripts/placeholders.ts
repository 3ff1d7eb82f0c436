/**
 * Placeholders a script may hold, filled for the customer the rep is talking to. {称呼} is the
 * customer-safe salutation (next-action/wording salutation: the WeCom name, or the rep's remark
 * only up to a separator), never the remark itself; {产品} is the last product bought, as a
 * person would say it (productName), never the SKU line.
 */
export const PLACEHOLDERS = ['称呼', '产品', '顾问'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Record<Placeholder, string>;

const TOKEN = /\{([^{}\s]{1,16})\}/g;
/** A product nobody named reads as the generic word, not as a hole. */
const FALLBACK: PlaceholderValues = { 称呼: '', 产品: '产品', 顾问: '' };

/** Placeholders in the text that are not known ("{姓名}"), in order of appearance, once each. */
export function unknownPlaceholders(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(TOKEN)) if (!(PLACEHOLDERS as readonly string[]).includes(m[1])) out.add(m[0]);
  return [...out];
}

/**
 * The text for this customer. An empty salutation leaves "您好，…" rather than "，您好": a
 * separator left at the start by an empty placeholder is dropped.
 */
export function fillPlaceholders(text: string, values: Partial<PlaceholderValues>): string {
  const filled = text.replace(TOKEN, (whole, name: string) =>
    (PLACEHOLDERS as readonly string[]).includes(name) ? values[name as Placeholder] || FALLBACK[name as Placeholder] : whole);
  return filled.replace(/^[\s，,、：:；;]+/u, '');
}

/**
 * The reverse, for a script a rep saves after editing it for one customer: that customer's name
 * and product go back to placeholders, so the saved script fits the next customer too. Values
 * shorter than two characters are left alone (a one-character name would match inside words).
 */
export function templatize(text: string, values: Partial<PlaceholderValues>): string {
  let out = text;
  for (const p of ['称呼', '产品'] as const) {
    const v = values[p];
    if (v && v.length >= 2 && v !== FALLBACK[p]) out = out.split(v).join(`{${p}}`);
  }
  return out;
}
