import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkScriptText, MAX_CATEGORY, MAX_TITLE } from './validate';

/** config/scripts.json: the corp library seeded on first use, and the category order. */
const SeedScript = z.strictObject({
  key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1–64 lower-case letters, digits, - or _'),
  category: z.string().trim().min(1).max(MAX_CATEGORY),
  title: z.string().trim().min(1).max(MAX_TITLE),
  text: z.string().superRefine((t, ctx) => {
    const problem = checkScriptText(t);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  kinds: z.array(z.string()).default([]),
  stages: z.array(z.string()).default([]),
  tiers: z.array(z.string()).default([]),
});

export const ScriptsConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  categories: z.array(z.string().trim().min(1).max(MAX_CATEGORY)).max(50).default([]),
  scripts: z.array(SeedScript).max(2000).default([]).superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `key "${s.key}" is used twice` });
      seen.add(s.key);
    });
  }),
});
export type ScriptsConfig = z.infer<typeof ScriptsConfigSchema>;
export type SeedScript = z.infer<typeof SeedScript>;

export const DEFAULT_SCRIPTS_FILE = path.resolve(__dirname, '../../config/scripts.json');

/** Reads config/scripts.json (absent: an empty library); a mistake fails with where it is. */
export function loadScriptsConfig(file = DEFAULT_SCRIPTS_FILE): ScriptsConfig {
  const raw = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const r = ScriptsConfigSchema.safeParse(raw);
  if (!r.success) throw new Error(`Invalid ${path.basename(file)}: ` + r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '));
  return r.data;
}
