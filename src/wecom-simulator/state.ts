import type {
  SeedCustomer, SeedData, SeedDepartment, SeedFollow, SeedGroupChat, SeedKfMessage, SeedTagGroup, SeedUser,
} from './seed';

/** A follow relation that ended, kept so tests and the admin API can inspect churn. */
export interface EndedFollow extends SeedFollow {
  endedAt: number;
  by: 'customer' | 'rep';
}

export interface MsgTemplateRecipient {
  userId: string;
  externalUserId?: string;
  chatId?: string;
  /** 0 not sent, 1 sent, 2 not a friend, 3 receiving limit reached. */
  status: number;
  sendTime?: number;
}

export interface MsgTemplate {
  msgId: string;
  chatType: 'single' | 'group';
  creator: string;
  createTime: number;
  text?: string;
  attachments: unknown[];
  /** One task per sending member; 0 pending, 2 confirmed; confirmAt: the member confirms then (a delayed confirmation mode). */
  tasks: Map<string, { status: number; sendTime?: number; confirmAt?: number }>;
  recipients: MsgTemplateRecipient[];
  failList: string[];
  /** remind_groupmsg_send calls (ms), and whether cancel_groupmsg_send stopped the task. */
  reminders?: number[];
  cancelled?: boolean;
}

/** What reached someone: app messages, mass-message tasks and their sends, welcomes, robot posts. */
export const DELIVERY_KINDS = ['app_message', 'mass_task', 'mass_sent', 'welcome', 'webhook', 'card_update'] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];

/**
 * An interactive card sent with message/send (API.md 4.14a), by task_id: who got it, the card as
 * it stands now (after any update_template_card), and every response_code issued for it (the
 * send's and each tap's), each usable once within 72 hours.
 */
export interface TemplateCardState {
  taskId: string;
  msgid: string;
  userIds: string[];
  card: Record<string, unknown>;
  codes: Map<string, { issuedAt: number; used: boolean; userId?: string }>;
  taps: { userId: string; key: string; responseCode: string; at: number }[];
  updates: { userIds: string[]; responseCode: string; card: Record<string, unknown>; at: number }[];
}

/**
 * One delivery as WeCom carried it out — counted by tests (and a chaos harness) to prove a
 * message went out exactly once, whatever the client saw. A message/send suppressed by
 * enable_duplicate_check is not a delivery; a mass task is one when created (the rep is asked
 * to confirm it) and each member's confirmation another (mass_sent, its customers or chats).
 */
export interface LedgerEntry {
  /** 1, 2, 3, … in the order WeCom carried them out. */
  seq: number;
  kind: DeliveryKind;
  /** Simulated epoch ms. */
  at: number;
  /** WeCom's id: the message's or template's msgid, the welcome code, the robot (hash of its key). */
  ref: string;
  /** Members (app message), customers or chats (mass), the customer (welcome), the robot (webhook). */
  recipients: string[];
  /** The member it went out as: a mass task's creator or confirming member, a welcome's rep. */
  sender?: string;
  /** The content as sent: { msgtype, [msgtype]: … } for messages, { text, attachments } for mass and welcome. */
  content: unknown;
}

/**
 * The simulated corp in memory, indexed for the API's access paths (by customer, by member, by
 * chat). Held by one simulator; the admin API and the emitter change it, the WeCom API reads it.
 */
export interface UploadedMediaState {
  mediaId: string;
  type: string;
  filename: string;
  contentType: string;
  data: Buffer;
  createdAt: number;
}

export class SimState {
  corpName: string;
  readonly departments = new Map<number, SeedDepartment>();
  readonly users = new Map<string, SeedUser>();
  readonly customers = new Map<string, SeedCustomer>();
  /** externalUserId → userId → relation */
  readonly follows = new Map<string, Map<string, SeedFollow>>();
  /** userId → externalUserId → relation (insertion order: the paging order). */
  readonly followsByUser = new Map<string, Map<string, SeedFollow>>();
  readonly endedFollows: EndedFollow[] = [];
  readonly tagGroups = new Map<string, SeedTagGroup>();
  readonly groupChats = new Map<string, SeedGroupChat & { memberVersion: string }>();
  readonly kfAccounts: { openKfId: string; name: string }[];
  readonly kfMessages: SeedKfMessage[];

  // What Fencun did through the API, for assertions.
  readonly msgTemplates = new Map<string, MsgTemplate>();
  /** "recipient|YYYY-MM" → corp mass messages received that calendar month. */
  readonly receivedThisMonth = new Map<string, number>();
  /** Customer groups' mass-message quota as the corp admin set it (API.md 5.4), and each group's receive times (ms). */
  massQuota: 'days_in_month' | 'seven_per_week' | 'one_per_day' = 'days_in_month';
  readonly groupReceived = new Map<string, number[]>();
  /** How each member answers a mass task; a member not listed waits for an explicit confirm (admin API). */
  readonly confirmModes = new Map<string, { mode: 'immediately' } | { mode: 'after'; delayMs: number } | { mode: 'never' }>();
  readonly appMessages: Record<string, unknown>[] = [];
  readonly welcomeMessages: { welcomeCode: string; userId: string; externalUserId: string; body: unknown; at: number }[] = [];
  readonly webhookMessages: { robot: string; body: unknown; at: number }[] = [];
  /** Interactive cards by task_id. */
  readonly templateCards = new Map<string, TemplateCardState>();
  /** Every delivery, in order (see LedgerEntry). */
  readonly ledger: LedgerEntry[] = [];
  /** Temporary media uploaded through media/upload, by media_id. */
  readonly media = new Map<string, UploadedMediaState>();

  constructor(seed: SeedData) {
    this.corpName = seed.corpName;
    for (const d of seed.departments) this.departments.set(d.id, { ...d, leaders: [...d.leaders] });
    for (const u of seed.users) this.users.set(u.userId, { ...u });
    for (const c of seed.customers) this.customers.set(c.externalUserId, { ...c });
    for (const f of seed.follows) this.putFollow({ ...f, tagIds: [...f.tagIds], remarkMobiles: [...f.remarkMobiles] });
    for (const g of seed.tagGroups) this.tagGroups.set(g.groupId, { ...g, tags: g.tags.map((t) => ({ ...t })) });
    for (const c of seed.groupChats) {
      this.groupChats.set(c.chatId, { ...c, members: c.members.map((m) => ({ ...m })), admins: [...c.admins], memberVersion: memberVersion(c) });
    }
    this.kfAccounts = seed.kfAccounts.map((a) => ({ ...a }));
    this.kfMessages = seed.kfMessages.map((m) => ({ ...m }));
  }

  deliver(d: Omit<LedgerEntry, 'seq'>): LedgerEntry {
    const entry = { seq: this.ledger.length + 1, ...d };
    this.ledger.push(entry);
    return entry;
  }

  putFollow(f: SeedFollow): void {
    (this.follows.get(f.externalUserId) ?? this.follows.set(f.externalUserId, new Map()).get(f.externalUserId)!).set(f.userId, f);
    (this.followsByUser.get(f.userId) ?? this.followsByUser.set(f.userId, new Map()).get(f.userId)!).set(f.externalUserId, f);
  }

  getFollow(userId: string, externalUserId: string): SeedFollow | undefined {
    return this.follows.get(externalUserId)?.get(userId);
  }

  endFollow(userId: string, externalUserId: string, by: 'customer' | 'rep', at: number): SeedFollow | undefined {
    const f = this.getFollow(userId, externalUserId);
    if (!f) return undefined;
    this.follows.get(externalUserId)!.delete(userId);
    if (this.follows.get(externalUserId)!.size === 0) this.follows.delete(externalUserId);
    this.followsByUser.get(userId)?.delete(externalUserId);
    this.endedFollows.push({ ...f, endedAt: at, by });
    return f;
  }

  customersOf(userId: string): SeedFollow[] {
    return [...(this.followsByUser.get(userId)?.values() ?? [])];
  }

  findTag(tagId: string): { group: SeedTagGroup; tag: SeedTagGroup['tags'][number] } | undefined {
    for (const group of this.tagGroups.values()) {
      const tag = group.tags.find((t) => t.id === tagId);
      if (tag) return { group, tag };
    }
    return undefined;
  }

  /** Members a department's leaders supervise: its own members and its sub-departments' leaders. */
  supervisedBy(userId: string): string[] {
    const out = new Set<string>();
    for (const d of this.departments.values()) {
      if (!d.leaders.includes(userId)) continue;
      for (const u of this.users.values()) if (u.departments.includes(d.id) && u.userId !== userId) out.add(u.userId);
      for (const sub of this.departments.values()) if (sub.parentId === d.id) sub.leaders.forEach((l) => out.add(l));
    }
    return [...out];
  }

  counts(): Record<string, number> {
    let follows = 0;
    for (const m of this.follows.values()) follows += m.size;
    return {
      departments: this.departments.size, users: this.users.size, customers: this.customers.size, follows,
      endedFollows: this.endedFollows.length, tagGroups: this.tagGroups.size, groupChats: this.groupChats.size,
      kfMessages: this.kfMessages.length, msgTemplates: this.msgTemplates.size, appMessages: this.appMessages.length,
      deliveries: this.ledger.length,
    };
  }

  /** The current world as a seed file (relations that ended are not part of it). */
  toSeed(): SeedData {
    return {
      version: 1,
      corpName: this.corpName,
      departments: [...this.departments.values()],
      users: [...this.users.values()],
      customers: [...this.customers.values()],
      follows: [...this.follows.values()].flatMap((m) => [...m.values()]),
      tagGroups: [...this.tagGroups.values()],
      groupChats: [...this.groupChats.values()].map(({ memberVersion: _v, ...c }) => c),
      kfAccounts: this.kfAccounts,
      kfMessages: this.kfMessages,
    };
  }
}

/** A stand-in for WeCom's member-version hash: changes whenever the member list changes. */
export function memberVersion(c: Pick<SeedGroupChat, 'members'>): string {
  let h = 0x811c9dc5;
  for (const m of c.members) for (let i = 0; i < m.userId.length; i++) h = Math.imul(h ^ m.userId.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0') + c.members.length.toString(16).padStart(8, '0');
}
