import type { Clock } from './clock';
import type { Config } from './config';
import type { Database } from './db/database';
import type { HandlerRegistry } from './inbox/handlers';
import type { InboxProcessor } from './inbox/processor';
import type { InboxRepository } from './inbox/repository';
import type { InboxWriter } from './inbox/writer';
import type { Judgement } from './judgement';
import type { Log } from './log';
import type { Metrics } from './ops/metrics';
import type { OutboxService } from './outbox/service';
import type { OutboxWorker } from './outbox/worker';
import type { ReminderStore } from './reminders/repository';
import type { WecomClient } from './wecom/client';

/** Everything a route, handler or job may use; built once in app.ts and passed down. */
export interface Services {
  config: Config;
  db: Database;
  clock: Clock;
  log: Log;
  metrics: Metrics;
  inbox: InboxRepository;
  writer: InboxWriter;
  handlers: HandlerRegistry;
  processor: InboxProcessor;
  judgement: Judgement;
  /** The one door to WeCom's API (WECOM_API_BASE). */
  wecom: WecomClient;
  reminders: ReminderStore;
  /** enqueue(tx, intent) for every outgoing message; only outboxWorker sends. */
  outbox: OutboxService;
  outboxWorker: OutboxWorker;
}
