import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ContactEvent } from '../callback/events';
import type { Database } from '../db/database';
import { insertIgnoringDuplicates } from '../db/sql';
import { errorMessage } from '../errors';
import type { Log } from '../log';
import { recordSentMessage } from '../messages/repository';
import { recordTouch } from '../touches/repository';
import { isWecomErrcode } from '../wecom/errors';
import { findMember } from './members';
import type { CustomerDataWecom } from './wecom-port';

/**
 * The welcome message (API.md 4.12): WeCom accepts a welcome code once, within 20 s of the add
 * event. Sent inline by the event handler — never through a queue — and skipped once the event
 * is older than WELCOME_DEADLINE_MS when handled, leaving a margin for the call itself.
 */
export const WELCOME_DEADLINE_MS = 18_000;

/** 41051: the customer already chatted, or another app used the code first. */
const WELCOME_CODE_USED = 41051;

const Template = z.object({ text: z.string().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters') }).strict();

const WelcomeFile = z.object({
  $comment: z.string().optional(),
  default: Template.nullable(),
  byState: z.record(z.string(), Template).default({}),
}).strict();

export type WelcomeTemplates = z.output<typeof WelcomeFile>;

export const NO_WELCOME: WelcomeTemplates = { default: null, byState: {} };

/** Reads config/welcome.json; a missing file means no welcome messages. */
export function loadWelcomeTemplates(file = path.resolve('config/welcome.json')): WelcomeTemplates {
  if (!fs.existsSync(file)) return NO_WELCOME;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${errorMessage(err)}`);
  }
  const r = WelcomeFile.safeParse(json);
  if (!r.success) throw new Error(`${file}: ` + r.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; '));
  return r.data;
}

/** The template for a channel state: its own, else the default; null when nothing should be sent. */
export function pickWelcome(t: WelcomeTemplates, state: string | undefined): { key: string; text: string } | null {
  if (state && t.byState[state]) return { key: state, text: t.byState[state].text };
  return t.default ? { key: 'default', text: t.default.text } : null;
}

/** Until the first reconcile has read the members, a rep's name may be unknown. */
const UNKNOWN_REP_NAME = '您的专属顾问';

export function renderWelcome(text: string, vars: { repName: string }): string {
  return text.replace(/\{rep_name\}/g, vars.repName.trim() || UNKNOWN_REP_NAME);
}

export type WelcomeOutcome = 'sent' | 'late' | 'duplicate' | 'no_template' | 'refused' | 'failed';

export interface WelcomeContext {
  db: Database;
  wecom: CustomerDataWecom;
  templates: WelcomeTemplates;
  event: ContactEvent & { welcomeCode: string };
  now: Date;
  log: Log;
}

/** Sends the welcome for one add event at most once (welcome_sends is keyed by the code). */
export async function sendWelcome({ db, wecom, templates, event, now, log }: WelcomeContext): Promise<WelcomeOutcome> {
  const code = event.welcomeCode;
  const nowMs = now.getTime();
  const ageMs = nowMs - event.at;
  const record = (status: string, template: string | null, error: string | null) =>
    insertIgnoringDuplicates(db, 'welcome_sends',
      ['welcome_code', 'user_id', 'external_user_id', 'state', 'status', 'template', 'error', 'event_at', 'created_at', 'updated_at'],
      [[code, event.userId, event.externalUserId, event.state ?? null, status, template, error, event.at, nowMs, nowMs]], ['welcome_code']);

  if (ageMs > WELCOME_DEADLINE_MS) {
    await record('late', null, `event was ${Math.round(ageMs / 1000)}s old`);
    log.warn({ userId: event.userId, externalUserId: event.externalUserId, ageMs },
      `welcome not sent: the add event is ${Math.round(ageMs / 1000)}s old, past WeCom's 20 s window (is the inbox backlogged?)`);
    return 'late';
  }
  const picked = pickWelcome(templates, event.state);
  if (!picked) {
    await record('no_template', null, null);
    return 'no_template';
  }
  if ((await record('sending', picked.key, null)) === 0) {
    // Already handled; a failed attempt may be retried while the window is still open.
    const retried = await db.exec(`UPDATE welcome_sends SET status = 'sending', updated_at = ? WHERE welcome_code = ? AND status = 'failed'`, [nowMs, code]);
    if (retried === 0) return 'duplicate';
  }
  const member = await findMember(db, event.userId);
  const text = renderWelcome(picked.text, { repName: member?.name || '' });
  try {
    await wecom.sendWelcomeMsg({ welcomeCode: code, text });
  } catch (err) {
    const refused = isWecomErrcode(err, WELCOME_CODE_USED);
    await db.exec('UPDATE welcome_sends SET status = ?, error = ?, updated_at = ? WHERE welcome_code = ?',
      [refused ? 'refused' : 'failed', errorMessage(err).slice(0, 1000), nowMs, code]);
    if (refused) log.info({ userId: event.userId, externalUserId: event.externalUserId }, 'welcome not sent: WeCom says the code is used (41051)');
    else log.error({ userId: event.userId, externalUserId: event.externalUserId, err: errorMessage(err) }, 'welcome message failed');
    return refused ? 'refused' : 'failed';
  }
  await db.exec(`UPDATE welcome_sends SET status = 'sent', sent_at = ?, updated_at = ? WHERE welcome_code = ?`, [nowMs, nowMs, code]);
  await recordSentMessage(db, { ref: `welcome:${code}`, category: 'welcome', userId: event.userId, externalUserId: event.externalUserId, text, at: nowMs }, nowMs);
  await recordTouch(db, { externalUserId: event.externalUserId, userId: event.userId, category: 'welcome', at: nowMs, source: 'welcome', ref: code }, nowMs);
  log.info({ userId: event.userId, externalUserId: event.externalUserId, template: picked.key, ageMs }, 'welcome message sent');
  return 'sent';
}
