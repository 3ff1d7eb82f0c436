import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Shape of config/digest.json (validated with the other policy files at start-up, src/policy/config.ts). */
export const DigestConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  enabled: z.boolean().default(true),
  /** Local time (FENCUN_TIMEZONE) the digest about the previous local day is sent. */
  sendAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time such as "08:30" (24-hour, local)').default('08:30'),
  /** WeCom userids who get a corp-wide digest. */
  admins: z.array(z.string().min(1).max(64)).default([]),
  /** Teams by hand: supervisor userid -> the reps they supervise (added to the leaders' teams). */
  supervisors: z.record(z.string().min(1).max(64), z.array(z.string().min(1).max(64))).default({}),
  /** true: only `supervisors` and `admins` count; department leaders get no digest of their own. */
  replaceLeaders: z.boolean().default(false),
  /** How many customers a named list shows in the message (the page shows all). */
  listLength: z.number().int().min(1, 'must be 1–20').max(20, 'must be 1–20').default(5),
});
export type DigestConfig = z.infer<typeof DigestConfigSchema>;

export const DEFAULT_DIGEST_CONFIG: DigestConfig = DigestConfigSchema.parse({});
export const DEFAULT_DIGEST_CONFIG_FILE = path.resolve(__dirname, '..', '..', 'config', 'digest.json');

/** The daily cron expression for `sendAt` (minute hour * * *). */
export function digestCron(sendAt: string): string {
  const [h, m] = sendAt.split(':').map(Number);
  return `${m} ${h} * * *`;
}

/**
 * The schedule the job registry needs before any service exists: sendAt from config/digest.json
 * (the full file is validated at start-up by loadPolicyConfig; an unreadable one falls back here
 * to the default, and start-up then says what is wrong with it).
 */
export function digestScheduleFromFile(file = DEFAULT_DIGEST_CONFIG_FILE): string {
  try {
    const r = DigestConfigSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return digestCron(r.success ? r.data.sendAt : DEFAULT_DIGEST_CONFIG.sendAt);
  } catch {
    return digestCron(DEFAULT_DIGEST_CONFIG.sendAt);
  }
}
