/**
 * The outbox: the one path every outgoing message takes.
 *
 * ## Enqueue API (for reminders, campaigns, digests, welcomes)
 *
 *   import { enqueue } from '../outbox/service';
 *   await db.transaction(async (tx) => {
 *     // ... write the decision (a reminder bundle, a campaign batch) with tx ...
 *     const { intent, created } = await enqueue(tx, {
 *       kind: 'mass_task', chatType: 'single', sender: 'zhangsan', externalUserIds: ['wm…'],
 *       text: '…', touch: { category: 'marketing', source: 'campaign' },
 *       key: `campaign:${campaignId}:batch:${n}`, dueAt: now.getTime(), origin: 'campaign',
 *     }, now.getTime());
 *   });
 *
 * - Call it with the caller's own transaction: the intent commits or rolls back with the decision.
 * - `key` is the idempotency key (≤191 chars): a second enqueue with the same key changes nothing
 *   and returns the stored intent (`created: false`), even if the second call's content differs.
 * - Kinds (types.ts): `app_message` (message/send to ONE member: `toUser`, `message` = msgtype +
 *   payload), `mass_task` (add_msg_template, `chatType` 'single' | 'group', `sender`), `welcome`
 *   (send_welcome_msg; give `expiresAt` = event time + 20 s), `robot` (a robot named in
 *   config/outbox.json), `card_update` (message/update_template_card with a tap's single-use
 *   response_code; give `expiresAt` within its 72 h).
 * - `dueAt`: not sent before (epoch ms). `expiresAt`: skipped as expired after. `origin`: who wants it.
 * - Bad input throws AppError OUTBOX_BAD_INTENT (status 400) with a sentence naming the field.
 * - Nothing is sent here. The worker (worker.ts) sends it, paced, and records the outcome; touches
 *   are recorded on delivery (mass tasks: when the member sent them), never at enqueue.
 * - Never call a sending verb of WecomClient (sendAppMessage, addMsgTemplate, sendWelcomeMsg,
 *   sendWebhook) anywhere else: only the worker does, so only the worker must resolve their
 *   "outcome unknown".
 */
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../clock';
import type { Database, Sql } from '../db/database';
import { AppError } from '../errors';
import type { Log } from '../log';
import type { Metrics } from '../ops/metrics';
import type { WecomClient } from '../wecom/client';
import { DEFAULT_OUTBOX_CONFIG_FILE, loadOutboxConfig, OutboxConfig, paceKeyOf } from './policy';
import { insertIntent, OutboxRepository } from './repository';
import type { NewIntent, OutboxIntent, OutboxKind, OutboxStatus } from './types';
import { defaultWorkerOptions, OutboxWorker, OutboxWorkerHooks, OutboxWorkerOptions } from './worker';

const touchSchema = z.object({
  category: z.enum(['care', 'marketing', 'welcome', 'group_content', 'service']),
  source: z.string().min(1).max(64),
}).strict();

const userId = z.string().min(1).max(64);
const attachments = z.array(z.object({ msgtype: z.enum(['image', 'link', 'miniprogram', 'video', 'file']) }).passthrough()).max(9);

const bodySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('app_message'),
    toUser: userId,
    message: z.union([
      z.object({ msgtype: z.literal('text'), text: z.object({ content: z.string().min(1) }) }),
      z.object({ msgtype: z.literal('textcard'), textcard: z.object({ title: z.string(), description: z.string(), url: z.string(), btntxt: z.string().optional() }) }),
      z.object({ msgtype: z.literal('markdown'), markdown: z.object({ content: z.string().min(1) }) }),
      z.object({ msgtype: z.literal('template_card'), template_card: z.record(z.string(), z.unknown()) }),
    ]),
  }),
  z.object({
    kind: z.literal('mass_task'),
    chatType: z.enum(['single', 'group']),
    sender: userId,
    externalUserIds: z.array(z.string().min(1)).max(10_000).optional(),
    chatIds: z.array(z.string().min(1)).optional(),
    text: z.string().min(1).optional(),
    attachments: attachments.optional(),
    touch: touchSchema.optional(),
  }).refine((m) => m.text !== undefined || (m.attachments?.length ?? 0) > 0, { message: 'needs text or at least one attachment' }),
  z.object({
    kind: z.literal('welcome'),
    welcomeCode: z.string().min(1),
    userId,
    externalUserId: z.string().min(1),
    text: z.string().min(1).optional(),
    attachments: attachments.optional(),
  }),
  z.object({ kind: z.literal('robot'), robot: z.string().min(1).max(64), message: z.object({ msgtype: z.string().min(1) }).passthrough() }),
  z.object({
    kind: z.literal('card_update'),
    toUser: userId,
    update: z.object({ responseCode: z.string().min(1), templateCard: z.record(z.string(), z.unknown()) }),
  }),
]);

const envelopeSchema = z.object({
  key: z.string().min(1).max(191),
  dueAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().nonnegative().nullable().optional(),
  origin: z.string().min(1).max(64),
});

/** Checks an intent and says plainly what is wrong with it. */
export function validateIntent(intent: NewIntent): NewIntent {
  const { key, dueAt, expiresAt, origin, ...body } = intent as NewIntent & Record<string, unknown>;
  const problems: string[] = [];
  const e = envelopeSchema.safeParse({ key, dueAt, expiresAt, origin });
  if (!e.success) problems.push(...e.error.issues.map((i) => `${i.path.join('.') || 'intent'} ${i.message}`));
  const b = bodySchema.safeParse(body);
  if (!b.success) problems.push(...b.error.issues.map((i) => `${i.path.join('.') || 'intent'} ${i.message}`));
  if (problems.length) {
    throw new AppError('OUTBOX_BAD_INTENT', `outbox intent ${typeof key === 'string' ? `"${key}" ` : ''}is invalid: ${problems.join('; ')}`, { status: 400 });
  }
  return intent;
}

/**
 * Writes a send intent on the caller's transaction; a second call with the same key is a no-op
 * that returns the stored intent. `now` (epoch ms) is only the row's created_at.
 */
export async function enqueue(tx: Sql, intent: NewIntent, now: number = intent.dueAt): Promise<{ intent: OutboxIntent; created: boolean }> {
  validateIntent(intent);
  return insertIntent(tx, { ...intent, paceKey: paceKeyOf(intent) }, now);
}

/** The outbox as services see it: enqueue with the service clock, operator reads and retries. */
export class OutboxService {
  readonly repo: OutboxRepository;

  constructor(private readonly db: Database, private readonly clock: Clock) {
    this.repo = new OutboxRepository(db);
  }

  /** enqueue(tx, intent) with created_at from the service clock. */
  enqueue(tx: Sql, intent: NewIntent): Promise<{ intent: OutboxIntent; created: boolean }> {
    return enqueue(tx, intent, this.clock().getTime());
  }

  /** Enqueues outside any caller transaction (tools, tests): its own transaction. */
  enqueueNow(intent: NewIntent): Promise<{ intent: OutboxIntent; created: boolean }> {
    return this.db.transaction((tx) => this.enqueue(tx, intent));
  }

  list(filter: { status?: OutboxStatus; kind?: OutboxKind; limit: number }): Promise<OutboxIntent[]> {
    return this.repo.list(filter);
  }

  get(id: number): Promise<OutboxIntent | null> {
    return this.repo.get(id);
  }

  /** An operator's retry at `now`; explains a refusal in a sentence. */
  async retry(id: number, now: number): Promise<{ ok: true; intent: OutboxIntent } | { ok: false; message: string }> {
    const intent = await this.repo.get(id);
    if (!intent) return { ok: false, message: `there is no outbox intent ${id}; list them with: npx fencun outbox list` };
    if (!(await this.repo.retry(id, now))) {
      return { ok: false, message: `outbox intent ${id} is ${intent.status}; only failed, skipped or unknown intents can be retried` };
    }
    return { ok: true, intent: (await this.repo.get(id))! };
  }
}

export interface OutboxParts {
  service: OutboxService;
  worker: OutboxWorker;
  config: OutboxConfig;
}

/**
 * Wires the outbox for an app instance: config/outbox.json (from `configDir`), the service, the
 * worker, and the metrics' scrape-time source.
 */
export function createOutbox(o: {
  db: Database; wecom: WecomClient; clock: Clock; log: Log; metrics: Metrics; timeZone: string; instanceId: string;
  configDir?: string; config?: OutboxConfig; worker?: Partial<Omit<OutboxWorkerOptions, 'instanceId'>>; hooks?: OutboxWorkerHooks;
}): OutboxParts {
  const config = o.config ?? loadOutboxConfig(o.configDir ? path.join(o.configDir, 'outbox.json') : DEFAULT_OUTBOX_CONFIG_FILE);
  const service = new OutboxService(o.db, o.clock);
  const worker = new OutboxWorker(
    { db: o.db, repo: service.repo, wecom: o.wecom, config, timeZone: o.timeZone, clock: o.clock, log: o.log.child({ component: 'outbox' }), metrics: o.metrics, hooks: o.hooks },
    { ...defaultWorkerOptions, ...o.worker, instanceId: o.instanceId });
  o.metrics.outboxSource = async () => {
    const now = o.clock().getTime();
    const [counts, oldest] = await Promise.all([service.repo.countsByStatus(), service.repo.oldestDueAt(now)]);
    return { counts, oldestDueAgeSeconds: oldest === null ? 0 : Math.max(0, now - oldest) / 1000 };
  };
  return { service, worker, config };
}

