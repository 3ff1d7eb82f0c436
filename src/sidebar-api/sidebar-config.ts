import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { WECOM_PUBLIC_API_BASE } from '../config';

/** Shape of config/sidebar.json; messages say what a valid value looks like. */
export const SidebarConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  oauthAuthorizeBase: z.string().url('must be an http(s) origin such as https://open.weixin.qq.com').nullable().default(null),
  sessionTtlMinutes: z.number().int().min(5, 'must be at least 5 minutes').max(7 * 24 * 60, 'must be at most 7 days (10080)').default(480),
  timelinePageSize: z.number().int().min(5, 'must be 5–100').max(100, 'must be 5–100').default(20),
  recentOrders: z.number().int().min(0).max(20, 'must be 0–20').default(3),
  /** How long opening a customer Fencun does not know yet waits for WeCom before saying "syncing". */
  onDemandFetchMs: z.number().int().min(100, 'must be 100–20000 ms').max(20_000, 'must be 100–20000 ms').default(4000),
});
export type SidebarConfigFile = z.infer<typeof SidebarConfigSchema>;

export interface SidebarSettings {
  /** Origin of WeCom's OAuth2 authorize page (API.md 4.18). */
  oauthAuthorizeBase: string;
  sessionTtlMs: number;
  timelinePageSize: number;
  recentOrders: number;
  onDemandFetchMs: number;
}

export const WECOM_OAUTH_BASE = 'https://open.weixin.qq.com';
export const DEFAULT_SIDEBAR_CONFIG_FILE = path.resolve(__dirname, '../../config/sidebar.json');

export function loadSidebarConfigFile(file = DEFAULT_SIDEBAR_CONFIG_FILE): SidebarConfigFile {
  const raw = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const r = SidebarConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`Invalid ${path.basename(file)}: ` + r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; '));
  }
  return r.data;
}

/**
 * Resolves the file against the running configuration. With no explicit authorize base, a
 * WECOM_API_BASE that is not WeCom's own (the bundled simulator) also serves the authorize page,
 * so `npm run demo` signs reps in without leaving the machine.
 */
export function resolveSidebarSettings(file: SidebarConfigFile, wecomApiBase: string, overrides: Partial<SidebarSettings> = {}): SidebarSettings {
  const apiBase = wecomApiBase.replace(/\/+$/, '');
  const oauthAuthorizeBase = (file.oauthAuthorizeBase ?? (apiBase === WECOM_PUBLIC_API_BASE ? WECOM_OAUTH_BASE : apiBase)).replace(/\/+$/, '');
  return {
    oauthAuthorizeBase,
    sessionTtlMs: file.sessionTtlMinutes * 60_000,
    timelinePageSize: file.timelinePageSize,
    recentOrders: file.recentOrders,
    onDemandFetchMs: file.onDemandFetchMs,
    ...overrides,
  };
}
