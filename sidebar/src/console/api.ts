/**
 * The console's one door to the server: same-origin fetch of /admin/api/… (docs/CONSOLE-API.md)
 * with the session cookie. Errors come back as ApiError carrying the server's sentence, so every
 * page shows what went wrong instead of a status number; a 401 flips the shell to sign-in.
 */
import { reactive } from 'vue';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Record<string, unknown> | undefined) {
    super(message);
  }
}

/** Set when a call answers 401: the shell shows the sign-in page (with where to sign in). */
export const session = reactive({ required: false, login: '/admin/auth/wecom/start', tokenLogin: true });

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown, o: { csv?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: string | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = o.csv ? 'text/csv; charset=utf-8' : 'application/json';
    payload = o.csv ? String(body) : JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch('/admin/api/' + path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', '连不上服务器，请检查网络后重试。', undefined);
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (res.ok) return data as T;
  const code = typeof data?.code === 'string' ? data.code : 'HTTP_' + res.status;
  const details = (data?.details ?? undefined) as Record<string, unknown> | undefined;
  if (res.status === 401 && code !== 'BAD_TOKEN') {
    session.required = true;
    if (typeof details?.login === 'string') session.login = details.login;
    if (typeof details?.tokenLogin === 'boolean') session.tokenLogin = details.tokenLogin;
  }
  const message = typeof data?.message === 'string' ? data.message : res.status === 429 ? '操作太频繁，请稍后再试。' : `服务器返回 ${res.status}，请稍后重试。`;
  throw new ApiError(res.status, code, message, details);
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});

// ---- Shapes (docs/CONSOLE-API.md; the page never imports server code) ----

export type Role = 'viewer' | 'operator' | 'admin';

export interface Me {
  user: { id: string; name: string; role: Role; via: string };
  can: { read: boolean; operate: boolean; administer: boolean };
  corpId: string;
  timezone: string;
  now: string;
}

export interface Audience {
  tiers?: string[];
  stages?: string[];
  tags?: { all?: string[]; any?: string[] };
  owners?: string[];
  departments?: number[];
  lastContactBefore?: string;
  lastContactAfter?: string;
  hasOrdered?: boolean;
  noOrderInDays?: number;
  externalUserIds?: string[];
}

export interface PlanSummary {
  at: number | string;
  audience: number;
  admitted: number;
  deferred: Record<string, number>;
  excluded: Record<string, number>;
  routing: { lastChat: number; followOwner: number };
  batches: { no: number; sender: string; sendAt: string; customers: number }[];
  samples: Record<string, { externalUserId: string; name?: string; explanation: string }[]>;
}

export type CampaignStatus = 'draft' | 'approved' | 'done' | 'cancelled';

export interface CampaignListItem {
  id: number;
  name: string;
  category: 'marketing' | 'care';
  status: CampaignStatus;
  creator: string;
  createdAt: string | number;
  approvedAt: string | number | null;
  cancelledAt: string | number | null;
  schedule: { start: string; end: string; perSenderDailyRate: number };
  lastPlan: PlanSummary | null;
}

export interface Campaign extends CampaignListItem {
  audience: Audience;
  content: { text?: string; attachments?: unknown[] };
}

export interface CampaignStatusView {
  campaign: Campaign;
  results: Record<string, number>;
  batches: { no: number; sender: string; sendAt: number | string; status: string; customers?: number; [k: string]: unknown }[];
}

export interface GroupSend {
  postId: number;
  name: string;
  occurrenceAt: string | number;
  chatId: string;
  /** The group's WeCom name: "" for a group WeCom lets exist unnamed, null when Fencun has not synced it (format.ts groupLabel words both). */
  groupName: string | null;
  /** The owner rep's name, null when the member is unknown or unnamed. */
  ownerName: string | null;
  owner: string | null;
  decision: 'send' | 'moved' | 'skipped';
  at: string | number | null;
  reason: string | null;
  explanation: string;
  status: string;
}

export interface CalendarView {
  from: string;
  to: string;
  sends: GroupSend[];
}

export interface PolicyView {
  version: number;
  source: 'database' | 'files';
  savedAt: string | null;
  actor: string | null;
  note: string | null;
  policy: Record<string, unknown>;
}

export interface PolicyVersion {
  version: number;
  savedAt: string;
  actor: string;
  note: string | null;
}

export interface TouchCounts {
  total: number;
  current: { admitted: number; deferred: Record<string, number> };
  candidate: { admitted: number; deferred: Record<string, number> };
  newlyAdmitted: number;
  newlyDeferred: number;
}

export interface WhatIf {
  now: string;
  window: { from: string; to: string };
  currentVersion: number;
  tiers: { customers: number; changed: number; moves: { from: string; to: string; count: number }[] };
  touches: { reminders: TouchCounts; campaigns: TouchCounts; groupPosts: TouchCounts };
}

export interface Operations {
  now: string;
  inbox: Record<string, number>;
  dead: { id: number; kind: string; receivedAt: string; attempts: number; lastError: string | null }[];
  outbox: Record<string, number>;
  outboxFailures: { errcode: number | null; status: string; count: number; lastAt: string }[];
  jobs: { job: string; slot: string; status: string; attempt: number; startedAt: string; finishedAt: string | null; instanceId: string; summary: string | null; error: string | null }[];
  wecomErrors: { scope: string; rows: { errcode: string; endpoint: string; count: number }[] };
}

export interface AuditEntry {
  id: number;
  at: string | number;
  actor: string;
  ip: string;
  action: string;
  target: string | null;
  detail: string | null;
  before: unknown;
  after: unknown;
}
