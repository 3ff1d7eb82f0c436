import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError } from '../errors';
import { transientFailure } from '../inbox/failures';
import { WecomError, WecomOutcomeUnknownError } from '../wecom/errors';
import type { IntentBody, OutboxIntent } from './types';

/**
 * The outbox's pure rules: which pace keys a send draws from, how long a key waits, what a
 * WeCom answer means for an intent, and the configuration (config/outbox.json).
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;

export const OutboxConfigSchema = z.object({
  $comment: z.string().optional(),
  /** At most this many Fencun app messages reach one rep per corp-time calendar day; the rest wait for the next day. */
  repDailyCap: z.number().int().positive(),
  pacing: z.object({
    memberPerMinute: z.number().int().positive(),
    memberPerHour: z.number().int().positive(),
    robotPerMinute: z.number().int().positive(),
    /** Per corp per API (API.md 4.3). */
    corpPerMinute: z.number().int().positive(),
    corpPerHour: z.number().int().positive(),
    /** Windows are counted this much longer than WeCom's, so our clock and WeCom's may differ a little. */
    marginMs: z.number().int().nonnegative(),
  }).strict(),
  /**
   * How long after an attempt whose outcome is unknown Fencun may still resolve it: message/send's
   * duplicate_check_interval (at most 4 h, API.md 4.14); past it an app message is parked unknown.
   */
  retryHorizonMinutes: z.number().int().positive().max(240),
  massTaskPoll: z.object({ everyMinutes: z.number().positive(), forHours: z.number().positive() }).strict(),
  backoff: z.object({ baseSeconds: z.number().positive(), maxMinutes: z.number().positive() }).strict(),
  /** An intent failing transiently for this long is failed (it would otherwise block its sender). */
  failureBudgetHours: z.number().positive(),
  /** Robot name → webhook key (the key is a secret: keep this file private, or leave it empty). */
  robots: z.record(z.string(), z.string().min(1)),
}).strict();

export type OutboxConfig = z.infer<typeof OutboxConfigSchema>;

export const DEFAULT_OUTBOX_CONFIG: OutboxConfig = {
  repDailyCap: 6,
  pacing: { memberPerMinute: 30, memberPerHour: 1000, robotPerMinute: 20, corpPerMinute: 10_000, corpPerHour: 150_000, marginMs: 1000 },
  retryHorizonMinutes: 240,
  massTaskPoll: { everyMinutes: 30, forHours: 72 },
  backoff: { baseSeconds: 2, maxMinutes: 30 },
  failureBudgetHours: 24,
  robots: {},
};

export const DEFAULT_OUTBOX_CONFIG_FILE = path.resolve(__dirname, '..', '..', 'config', 'outbox.json');

/** Reads and checks config/outbox.json; a bad file stops start-up with a sentence naming the field. */
export function loadOutboxConfig(file: string = DEFAULT_OUTBOX_CONFIG_FILE): OutboxConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_OUTBOX_CONFIG;
    throw new AppError('OUTBOX_CONFIG_INVALID', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  const r = OutboxConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new AppError('OUTBOX_CONFIG_INVALID', `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'} ${i.message}`).join('; ')}`);
  }
  return r.data;
}

// ---- pacing ------------------------------------------------------------------------------------

/** One limit a send draws from: at most `limit` draws of `key` in any `windowMs`. */
export interface Draw {
  key: string;
  limit: number;
  windowMs: number;
  /** Says which limit it is, for the deferral's reason. */
  label: string;
}

const ENDPOINT: Record<IntentBody['kind'], string> = {
  app_message: 'message/send',
  mass_task: 'externalcontact/add_msg_template',
  welcome: 'externalcontact/send_welcome_msg',
  robot: 'webhook/send',
  card_update: 'message/update_template_card',
};

export function endpointOf(kind: IntentBody['kind']): string {
  return ENDPOINT[kind];
}

/**
 * The sender an intent draws from, and the unit of ordering: one send per pace key is in flight
 * at a time, in due order. A member for app messages, the creating member for mass tasks, the
 * robot for robot posts, the rep for welcomes.
 */
export function paceKeyOf(body: IntentBody): string {
  switch (body.kind) {
    case 'app_message': return `member:${body.toUser}`;
    case 'mass_task': return `sender:${body.sender}`;
    case 'welcome': return `welcome:${body.userId}`;
    case 'robot': return `robot:${body.robot}`;
    // A member's card updates go one at a time, in tap order (each carries the whole card).
    case 'card_update': return `card:${body.toUser}`;
  }
}

/** The corp-wide key of an endpoint (per corp per API limits). */
export function apiKeyOf(kind: IntentBody['kind']): string {
  return `api:${ENDPOINT[kind]}`;
}

/** Every limit one send of this intent draws from (the daily cap is separate: see dailyCapOf). */
export function drawsOf(body: IntentBody, c: OutboxConfig): Draw[] {
  const p = c.pacing;
  const api = apiKeyOf(body.kind);
  const corp: Draw[] = [
    { key: api, limit: p.corpPerMinute, windowMs: MINUTE, label: `${p.corpPerMinute}/min per corp for ${ENDPOINT[body.kind]}` },
    { key: api, limit: p.corpPerHour, windowMs: HOUR, label: `${p.corpPerHour}/h per corp for ${ENDPOINT[body.kind]}` },
  ];
  const own = paceKeyOf(body);
  switch (body.kind) {
    case 'app_message':
      return [
        { key: own, limit: p.memberPerMinute, windowMs: MINUTE, label: `${p.memberPerMinute} app messages/min per member` },
        { key: own, limit: p.memberPerHour, windowMs: HOUR, label: `${p.memberPerHour} app messages/h per member` },
        ...corp,
      ];
    case 'robot':
      return [{ key: own, limit: p.robotPerMinute, windowMs: MINUTE, label: `${p.robotPerMinute} posts/min per robot` }, ...corp];
    default:
      // Mass tasks and welcomes have no per-member send limit of their own; the sender key still
      // orders them (one in flight) and carries a 45009 pause.
      return corp;
  }
}

/**
 * When a key with `count` draws in the window may draw again: now if under the limit, else when
 * the draw `limit` places back (newest first) leaves the window, plus the margin.
 */
export function freeAt(count: number, limit: number, nthNewestAt: number | null, windowMs: number, marginMs: number, now: number): number {
  if (count < limit || nthNewestAt === null) return now;
  return nthNewestAt + windowMs + marginMs;
}

/** The corp-time calendar day holding `now`: [start, end) in epoch ms. */
export function dayOf(now: number, timeZone: string): { start: number; end: number; label: string } {
  const d = DateTime.fromMillis(now, { zone: timeZone }).startOf('day');
  return { start: d.toMillis(), end: d.plus({ days: 1 }).toMillis(), label: d.toFormat('yyyy-MM-dd') };
}

/**
 * How far back the pace log is kept: the longest window is an hour (plus the margin); the daily
 * cap counts intents, not draws, so older draws are read by nothing.
 */
export function paceLogHorizonMs(): number {
  return 2 * HOUR;
}

// ---- outcomes ----------------------------------------------------------------------------------

/** message/send's duplicate_check_interval in seconds: the retry horizon (≤ 4 h). */
export function duplicateCheckSeconds(c: OutboxConfig): number {
  return Math.min(4 * 3600, c.retryHorizonMinutes * 60);
}

/** Canonical text of a mass task's content: what its lookup compares (text and attachments, in order). */
export function contentFingerprint(text: string | undefined, attachments: unknown[] | undefined): string {
  return createHash('sha256').update(JSON.stringify([text ?? '', canonical(attachments ?? [])])).digest('hex');
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/**
 * What a failed attempt means. `pause`: the error is about WeCom, not the message (45009, -1 on a
 * read, a connection failure before the request left): the sender and the endpoint wait, and the
 * intent keeps its place in due order. `unknown`: the request may have reached WeCom; it is
 * resolved on the next attempt (or parked). `failed`: WeCom refused this message.
 */
export type FailureVerdict =
  | { kind: 'pause'; retryAfterMs: number | null; errcode: number | null }
  | { kind: 'unknown'; errcode: number | null }
  | { kind: 'failed'; errcode: number | null; reason: string };

export function judgeFailure(err: unknown): FailureVerdict {
  if (err instanceof WecomOutcomeUnknownError) return { kind: 'unknown', errcode: err.errcode };
  const t = transientFailure(err);
  const errcode = err instanceof WecomError ? err.errcode : null;
  if (t) return { kind: 'pause', retryAfterMs: t.retryAfterMs, errcode };
  return { kind: 'failed', errcode, reason: failureSentence(err) };
}

const ERRCODE_SENTENCES: Record<number, string> = {
  81013: 'WeCom found no valid recipient (81013): the member left the corp or is outside the app\'s visible range',
  60111: 'WeCom does not know the sender (60111): the member left the corp',
  41051: 'the welcome code was already used or is past its 20 s window (41051)',
  45002: 'the message is too long for WeCom (45002)',
  40058: 'WeCom rejected the message\'s content (40058)',
  93000: 'the robot\'s webhook key is invalid (93000): check robots in config/outbox.json',
  40056: 'WeCom rejected the agent id (40056): check WECOM_AGENT_ID',
};

export function failureSentence(err: unknown): string {
  if (err instanceof WecomError && err.errcode !== null && ERRCODE_SENTENCES[err.errcode]) return ERRCODE_SENTENCES[err.errcode];
  const msg = err instanceof Error ? err.message : String(err);
  return err instanceof WecomError && err.errcode !== null ? `WeCom refused it (errcode ${err.errcode}): ${msg}` : msg;
}

/** The pause after the `pauses`-th consecutive WeCom-side failure of a key: doubling, capped, ±20% jitter, never before retryAfter. */
export function pauseMs(pauses: number, retryAfterMs: number | null, c: OutboxConfig, random: () => number): number {
  const jitter = 0.8 + random() * 0.4;
  const backoff = Math.min(c.backoff.baseSeconds * 1000 * 2 ** Math.max(0, pauses), c.backoff.maxMinutes * MINUTE);
  return retryAfterMs !== null ? Math.round(Math.max(retryAfterMs, retryAfterMs * jitter)) : Math.round(backoff * jitter);
}

/** Whether an app message last attempted in doubt may still be resent under WeCom's duplicate check. */
export function withinDuplicateWindow(i: Pick<OutboxIntent, 'doubtSince'>, now: number, c: OutboxConfig): boolean {
  // A resend at `now` is suppressed if WeCom delivered an identical one within the interval before
  // it; the first attempt in doubt is the oldest that may have been delivered. Keep a minute spare.
  return i.doubtSince === null || now - i.doubtSince < duplicateCheckSeconds(c) * 1000 - MINUTE;
}
