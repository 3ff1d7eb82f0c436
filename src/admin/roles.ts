import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WECOM_PUBLIC_API_BASE } from '../config';
import { AppError } from '../errors';

/**
 * Who may use the console and what each role may do. Roles are read from config/admin.json (or
 * the file FENCUN_ADMIN_CONFIG names) and looked up on every request, so removing a member from
 * the file takes their access away at their next click, not when their cookie expires.
 */

export type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** viewer reads; operator runs campaigns, the group calendar and inbox retries; admin also edits the policy. */
export function allows(role: Role, need: Role): boolean {
  return RANK[role] >= RANK[need];
}

const ROLE_LABELS: Record<Role, string> = { viewer: '只读成员', operator: '运营', admin: '管理员' };

export function forbidden(role: Role, need: Role): AppError {
  return new AppError('FORBIDDEN', `这项操作需要${ROLE_LABELS[need]}权限，你当前是${ROLE_LABELS[role]}；请联系管理员在 config/admin.json 中调整`, {
    status: 403, details: { role, need },
  });
}

const userId = z.string().min(1).max(64).regex(/^[\w.@-]+$/, 'must be a WeCom userid (letters, digits, _ . @ -)');

export const AdminConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  admins: z.array(userId).default([]),
  operators: z.array(userId).default([]),
  viewers: z.array(userId).default([]),
  sessionTtlMinutes: z.number().int().min(5, 'must be 5–1440 minutes').max(1440, 'must be 5–1440 minutes').default(480),
  loginBase: z.string().url('must be an http(s) origin such as https://login.work.weixin.qq.com').nullable().default(null),
});
export type AdminConfig = z.infer<typeof AdminConfigSchema>;

export const DEFAULT_ADMIN_CONFIG_FILE = path.resolve(__dirname, '../../config/admin.json');
export const WECOM_WEB_LOGIN_BASE = 'https://login.work.weixin.qq.com';

/** config/admin.json, or FENCUN_ADMIN_CONFIG's file; a missing file is no members. */
export function adminConfigFile(): string {
  return process.env.FENCUN_ADMIN_CONFIG || DEFAULT_ADMIN_CONFIG_FILE;
}

export function loadAdminConfig(file = adminConfigFile()): AdminConfig {
  let raw: unknown = {};
  if (fs.existsSync(file)) {
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${path.basename(file)} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const r = AdminConfigSchema.safeParse(raw);
  if (!r.success) throw new Error(`Invalid ${path.basename(file)}: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * The members and their roles, from the file as it is now: its modification time is checked on
 * every look-up (one stat), and a changed file is read again, so a member removed from it loses
 * access at their next request. A file edited into something invalid is logged and the members
 * read before are kept (the console must not lock everyone out over a typo).
 */
export class Roles {
  private byUser = new Map<string, Role>();
  private stamp = '';

  constructor(private readonly file: string | null, initial: AdminConfig, private readonly onError: (message: string) => void = () => {}) {
    this.set(initial);
    this.stamp = this.stampOf();
  }

  private set(c: AdminConfig): void {
    const next = new Map<string, Role>();
    for (const [list, role] of [[c.viewers, 'viewer'], [c.operators, 'operator'], [c.admins, 'admin']] as const) {
      for (const u of list) next.set(u, role);
    }
    this.byUser = next;
  }

  private stampOf(): string {
    if (!this.file) return '';
    try {
      const st = fs.statSync(this.file);
      return `${st.mtimeMs}:${st.size}`;
    } catch {
      return 'missing';
    }
  }

  private fresh(): void {
    const stamp = this.stampOf();
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      this.set(loadAdminConfig(this.file!));
    } catch (err) {
      this.onError((err as Error).message);
    }
  }

  /** The member's role, or null when the console is not theirs. */
  of(userId: string): Role | null {
    this.fresh();
    return this.byUser.get(userId) ?? null;
  }

  get size(): number {
    this.fresh();
    return this.byUser.size;
  }
}

/** Web login's origin: the configured one, else WeCom's, else the bundled simulator (demo). */
export function loginBaseOf(c: AdminConfig, wecomApiBase: string): string {
  const apiBase = wecomApiBase.replace(/\/+$/, '');
  return (c.loginBase ?? (apiBase === WECOM_PUBLIC_API_BASE ? WECOM_WEB_LOGIN_BASE : apiBase)).replace(/\/+$/, '');
}
