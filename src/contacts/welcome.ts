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
import { isWecomErrcode, WecomOutcomeUnknownError } from '../wecom/errors';
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

/** 'unknown': WeCom answered neither attempt, so whether the customer got it is not known. */
export type WelcomeOutcome = 'sent' | 'late' | 'duplicate' | 'no_template' | 'refused' | 'failed' | 'unknown';

export interface WelcomeContext {
  db: Database;
  wecom: CustomerDataWecom;
  templates: WelcomeTemplates;
  event: ContactEvent & { welcomeCode: string };
  now: Date;
  log: Log;
}

/**
 * Sends the welcome for one add event at most once (welcome_sends is keyed by the code).
 *
 * A send WeCom may have carried out without answering (WecomOutcomeUnknownError, e.g. an answer
 * after the client's timeout) is asked again at once: WeCom accepts a code only once, so a
 * repeat cannot deliver twice — ok means this attempt delivered it, 41051 that the unanswered
 * one used the code. The welcome is then recorded as sent and counted as a touch: counting a
 * welcome that might not have arrived costs at most one withheld contact, while losing one
 * that did arrive lets contact pressure let a second message through.
 */
export async function sendWelcome({ db, wecom, templates, event, now, log }: WelcomeContext): Promise<WelcomeOutcome> {
  const code = event.welcomeCode;
  const nowMs = now.getTime();
  const ageMs = nowMs - event.at;
  const who = { userId: event.userId, externalUserId: event.externalUserId };
  const record = (status: string, template: string | null, error: string | null) =>
    insertIgnoringDuplicates(db, 'welcome_sends',
      ['welcome_code', 'user_id', 'external_user_id', 'state', 'status', 'template', 'error', 'event_at', 'created_at', 'updated_at'],
      [[code, event.userId, event.externalUserId, event.state ?? null, status, template, error, event.at, nowMs, nowMs]], ['welcome_code']);
  const setStatus = (status: string, error: string | null) =>
    db.exec('UPDATE welcome_sends SET status = ?, error = ?, updated_at = ? WHERE welcome_code = ?', [status, error?.slice(0, 1000) ?? null, nowMs, code]);
  const retake = (from: string) =>
    db.exec(`UPDATE welcome_sends SET status = 'sending', updated_at = ? WHERE welcome_code = ? AND status = ?`, [nowMs, code, from]);

  if (ageMs > WELCOME_DEADLINE_MS) {
    if ((await record('late', null, `event was ${Math.round(ageMs / 1000)}s old`)) === 0) {
      // An attempt cut off between its mark and its outcome (the instance died): say so, never leave "sending".
      await db.exec(`UPDATE welcome_sends SET status = 'unknown', error = ?, updated_at = ? WHERE welcome_code = ? AND status = 'sending'`,
        [`an attempt was interrupted before its outcome was recorded (the instance stopped), and the event is now ${Math.round(ageMs / 1000)}s old, past WeCom's 20 s window: whether it was delivered is not known`, nowMs, code]);
    }
    log.warn({ ...who, ageMs },
      `welcome not sent: the add event is ${Math.round(ageMs / 1000)}s old, past WeCom's 20 s window (is the inbox backlogged?)`);
    return 'late';
  }
  const picked = pickWelcome(templates, event.state);
  if (!picked) {
    await record('no_template', null, null);
    return 'no_template';
  }
  // True once an attempt may have used the code: from then on 41051 confirms that attempt.
  let unanswered = false;
  if ((await record('sending', picked.key, null)) === 0) {
    // Already handled; an attempt that failed, or that WeCom never answered, is retried while the window is open.
    // "sending" is an attempt whose instance died before its outcome: it may have reached WeCom, like "unknown".
    unanswered = (await retake('unknown')) > 0 || (await retake('sending')) > 0;
    if (!unanswered && (await retake('failed')) === 0) return 'duplicate';
  }
  const member = await findMember(db, event.userId);
  const text = renderWelcome(picked.text, { repName: member?.name || '' });
  const attempt = async (): Promise<'sent' | 'confirmed'> => {
    try {
      await wecom.sendWelcomeMsg({ welcomeCode: code, text });
      return 'sent';
    } catch (err) {
      if (unanswered && isWecomErrcode(err, WELCOME_CODE_USED)) return 'confirmed';
      throw err;
    }
  };
  let result: 'sent' | 'confirmed';
  try {
    try {
      result = await attempt();
    } catch (err) {
      if (!(err instanceof WecomOutcomeUnknownError)) throw err;
      // Written first, so that a crash before the answer leaves "unknown", not "sending".
      await setStatus('unknown', errorMessage(err));
      unanswered = true;
      log.warn({ ...who, err: errorMessage(err) }, 'welcome may have been sent without an answer from WeCom; asking again with the same code');
      result = await attempt();
    }
  } catch (err) {
    const status = err instanceof WecomOutcomeUnknownError ? 'unknown' : isWecomErrcode(err, WELCOME_CODE_USED) ? 'refused' : 'failed';
    await setStatus(status, errorMessage(err));
    if (status === 'refused') log.info(who, 'welcome not sent: WeCom says the code is used (41051)');
    else log.error({ ...who, err: errorMessage(err) }, status === 'unknown' ? 'welcome message: WeCom answered neither attempt' : 'welcome message failed');
    return status;
  }
  const note = result === 'confirmed' ? 'WeCom answered 41051 after an unanswered attempt: that attempt used the code' : null;
  await db.exec(`UPDATE welcome_sends SET status = 'sent', error = ?, sent_at = ?, updated_at = ? WHERE welcome_code = ?`, [note, nowMs, nowMs, code]);
  await recordSentMessage(db, { ref: `welcome:${code}`, category: 'welcome', userId: event.userId, externalUserId: event.externalUserId, text, at: nowMs }, nowMs);
  await recordTouch(db, { externalUserId: event.externalUserId, userId: event.userId, category: 'welcome', at: nowMs, source: 'welcome', ref: code }, nowMs);
  log.info({ ...who, template: picked.key, ageMs, confirmedBy41051: result === 'confirmed' }, 'welcome message sent');
  return 'sent';
}
