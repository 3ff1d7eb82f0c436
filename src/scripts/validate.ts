import { z } from 'zod';
import { PLACEHOLDERS, unknownPlaceholders } from './placeholders';

export const MAX_TEXT = 1000;
export const MAX_TITLE = 32;
export const MAX_CATEGORY = 16;
/** A corp library larger than this is a mistake (an import loop), not a library reps can browse. */
export const MAX_CORP_SCRIPTS = 2000;
export const MAX_PERSONAL_SCRIPTS = 200;

export const ACTION_KINDS = [
  'service', 'complaint_follow_up', 'churn_wake_up', 'reminder', 'post_sale_care', 'birthday', 'anniversary', 'revisit', 'marketing',
] as const;
export const STAGES = ['new', 'active', 'at_risk', 'dormant', 'lost'] as const;

/** What is wrong with a script's text, as an operator reads it; null when it is fine. */
export function checkScriptText(text: string): string | null {
  const t = text.trim();
  if (t === '') return 'text is empty';
  if (t.length > MAX_TEXT) return `text is ${t.length} characters; at most ${MAX_TEXT}`;
  const unknown = unknownPlaceholders(t);
  if (unknown.length) return `unknown placeholder ${unknown.join(', ')}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
  return null;
}

const list = (name: string, allowed: readonly string[]) =>
  z.array(z.string()).max(allowed.length).superRefine((v, ctx) => {
    const bad = v.filter((x) => !allowed.includes(x));
    if (bad.length) ctx.addIssue({ code: 'custom', message: `${name} ${bad.map((b) => `"${b}"`).join(', ')} unknown; use ${allowed.join(', ')}` });
  });

/** The body of POST /api/scripts; `patch`: every field optional and nothing defaulted (PATCH /api/scripts/:id). */
export function corpScriptSchema(tierIds: readonly string[]) {
  const fields = corpScriptFields(tierIds);
  return {
    create: fields.extend({ kinds: fields.shape.kinds.default([]), stages: fields.shape.stages.default([]), tiers: fields.shape.tiers.default([]) }),
    patch: fields.partial(),
  };
}

function corpScriptFields(tierIds: readonly string[]) {
  return z.strictObject({
    category: z.string().trim().min(1, 'category is empty').max(MAX_CATEGORY, `category is longer than ${MAX_CATEGORY} characters`),
    title: z.string().trim().min(1, 'title is empty').max(MAX_TITLE, `title is longer than ${MAX_TITLE} characters`),
    text: z.string().superRefine((t, ctx) => {
      const problem = checkScriptText(t);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).transform((t) => t.trim()),
    kinds: list('kind', ACTION_KINDS),
    stages: list('stage', STAGES),
    tiers: list('tier', tierIds),
  });
}

/** A rep's own script saved from the sidebar (messages in the rep's words). */
export const PersonalScriptBody = z.strictObject({
  /** The script it was edited from: its title and what it suits carry over. */
  from: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  category: z.string().trim().max(MAX_CATEGORY, `分类最多 ${MAX_CATEGORY} 个字`).default(''),
  title: z.string().trim().max(MAX_TITLE, `标题最多 ${MAX_TITLE} 个字`).default(''),
  text: z.string().trim().min(1, '请先写点内容').max(MAX_TEXT, `话术最多 ${MAX_TEXT} 字`).superRefine((t, ctx) => {
    const unknown = unknownPlaceholders(t);
    if (unknown.length) ctx.addIssue({ code: 'custom', message: `话术里的 ${unknown.join('、')} 无法自动填写，可用 ${PLACEHOLDERS.map((p) => `{${p}}`).join('、')}` });
  }),
});
