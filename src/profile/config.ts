import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** config/profile.json: the sales stages a rep picks from and the corp's custom profile fields. */

const KEY = /^[a-z][a-z0-9_]{0,31}$/;

const CustomField = z.strictObject({
  key: z.string().regex(KEY, 'must be lower-case letters, digits and _ (at most 32), starting with a letter, e.g. "skin_type"'),
  label: z.string().min(1, 'must be the Chinese label shown to reps, e.g. "肤质"').max(12, 'must be at most 12 characters'),
  type: z.enum(['text', 'number', 'date', 'select'], { error: 'must be "text", "number", "date" or "select"' }),
  options: z.array(z.string().min(1).max(20)).max(30).optional(),
  maxLength: z.number().int().min(1).max(200).default(50),
}).refine((f) => f.type !== 'select' || (f.options?.length ?? 0) > 0, { message: 'a select field needs "options", e.g. ["干性", "油性"]' });

export const ProfileConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  salesStages: z.array(z.strictObject({
    id: z.string().regex(KEY, 'must be lower-case letters, digits and _, e.g. "quoted"'),
    label: z.string().min(1).max(8, 'must be at most 8 characters (it is a chip on a phone)'),
  })).max(12).default([]),
  customFields: z.array(CustomField).max(20, 'at most 20 custom fields').default([]),
}).superRefine((c, ctx) => {
  const dup = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const s = dup(c.salesStages.map((x) => x.id));
  if (s) ctx.addIssue({ code: 'custom', path: ['salesStages'], message: `stage id "${s}" appears twice` });
  const f = dup(c.customFields.map((x) => x.key));
  if (f) ctx.addIssue({ code: 'custom', path: ['customFields'], message: `field key "${f}" appears twice` });
});

export type ProfileConfig = z.infer<typeof ProfileConfigSchema>;
export type CustomFieldConfig = ProfileConfig['customFields'][number];

export const DEFAULT_PROFILE_CONFIG_FILE = path.resolve(__dirname, '../../config/profile.json');

/** A bad file stops start-up with one line naming the field and what a valid value looks like. */
export function loadProfileConfig(file = DEFAULT_PROFILE_CONFIG_FILE): ProfileConfig {
  const raw = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const r = ProfileConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`Invalid ${path.basename(file)}: ` + r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '));
  }
  return r.data;
}
