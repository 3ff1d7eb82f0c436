import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * Configuration is read from the environment once, at start-up, and passed down.
 * Nothing else in Fencun reads process.env. Every bad variable is reported at once,
 * each with what a valid value looks like, so an operator fixes them in one go.
 */

export const WECOM_PUBLIC_API_BASE = 'https://qyapi.weixin.qq.com';
export const DEFAULT_SQLITE_URL = 'sqlite:data/fencun.sqlite';

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string; url: string }
  | { kind: 'mysql'; host: string; port: number; user: string; password: string; database: string; url: string };

export interface WecomConfig {
  corpId: string;
  agentId: number;
  agentSecret: string;
  callbackToken: string;
  callbackAesKey: string;
  apiBase: string;
}

export interface Config {
  database: DatabaseConfig;
  wecom: WecomConfig;
  publicBaseUrl: string;
  timezone: string;
  port: number;
  host: string;
  logLevel: string;
  /** Bearer token for the machine-to-machine APIs (orders, archive ingest). Empty disables them. */
  apiToken: string;
  /** Secret that signs sidebar session cookies. */
  sessionSecret: string;
  /** Identifies this process in inbox leases and job runs. */
  instanceId: string;
  /** Demo mode enables the sidebar's demo identity; never set it in production. */
  demo: boolean;
  callback: { maxBodyBytes: number; maxClockSkewSeconds: number };
  /** An inbox event failing for this long since its first failure is parked as dead (FENCUN_INBOX_FAILURE_BUDGET_HOURS). */
  inbox: { failureBudgetMs: number };
  /**
   * Addresses of the reverse proxies whose X-Forwarded-For is believed (FENCUN_TRUSTED_PROXIES);
   * empty: the client is the socket's peer, whatever the headers say.
   */
  trustedProxies: string[];
  /** Bearer token required by GET /metrics (FENCUN_METRICS_TOKEN); empty leaves /metrics open. */
  metricsToken: string;
  /** Local admin token for the operators' console (FENCUN_ADMIN_TOKEN); empty: /admin/ answers 404. */
  adminToken: string;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super('Invalid configuration: ' + problems.join('; '));
    this.name = 'ConfigError';
  }
}

const timezone = z.string().refine(isValidTimeZone, {
  message: 'must be an IANA time zone such as Asia/Shanghai',
});

const databaseUrl = z
  .string()
  .refine((v) => parseDatabaseUrl(v) !== null, {
    message: 'must look like mysql://user:pass@host:3306/db or sqlite:path/to/file.sqlite',
  });

const wecomEnv = {
  WECOM_CORP_ID: z
    .string({ message: 'is required: the CorpID (企业ID) from 我的企业 → 企业信息, e.g. ww1234567890abcdef' })
    .regex(/^w[wx][0-9A-Za-z]{8,30}$/, 'must be a CorpID such as ww1234567890abcdef (starts with ww or wx)'),
  WECOM_AGENT_ID: z.coerce
    .number({ message: 'is required: the AgentId of the self-built app, e.g. 1000002' })
    .int('must be a whole number such as 1000002')
    .positive('must be a positive number such as 1000002'),
  WECOM_AGENT_SECRET: z.string({ message: 'is required: the Secret of the self-built app' }).min(1, 'must not be empty'),
  WECOM_CALLBACK_TOKEN: z
    .string({ message: 'is required: the callback Token from 接收消息 → 设置API接收' })
    .regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1–32 letters or digits, as WeCom generates it'),
  WECOM_CALLBACK_AES_KEY: z
    .string({ message: 'is required: the 43-character EncodingAESKey from 接收消息 → 设置API接收' })
    .superRefine((v, ctx) => {
      const problem =
        v.length !== 43 ? `must be exactly 43 characters (got ${v.length})`
        : !/^[A-Za-z0-9]+$/.test(v) ? 'must contain only letters and digits'
        : Buffer.from(v + '=', 'base64').length !== 32 ? 'does not decode to a 32-byte AES key'
        : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  WECOM_API_BASE: z
    .string()
    .url('must be an http(s) URL such as https://qyapi.weixin.qq.com or http://127.0.0.1:4100')
    .default(WECOM_PUBLIC_API_BASE),
};

const EnvSchema = z.object({
  DATABASE_URL: databaseUrl.default(DEFAULT_SQLITE_URL),
  ...wecomEnv,
  PUBLIC_BASE_URL: z.string().url('must be the https URL users reach Fencun at, e.g. https://scrm.example.com').optional(),
  FENCUN_TIMEZONE: timezone.default('Asia/Shanghai'),
  PORT: z.coerce.number({ message: 'must be a port number such as 3000' }).int().min(0, 'must be a port number 0–65535').max(65535, 'must be a port number 0–65535').default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FENCUN_API_TOKEN: z.string().min(16, 'must be at least 16 characters (a random secret)').optional(),
  FENCUN_SESSION_SECRET: z.string().min(16, 'must be at least 16 characters (a random secret)').optional(),
  FENCUN_INSTANCE_ID: z.string().min(1).optional(),
  FENCUN_DEMO: z.enum(['0', '1', 'true', 'false']).optional(),
  FENCUN_CALLBACK_MAX_BODY_BYTES: z.coerce.number({ message: 'must be a number of bytes such as 262144' }).int().positive().default(256 * 1024),
  FENCUN_CALLBACK_MAX_SKEW_SECONDS: z.coerce.number({ message: 'must be a number of seconds such as 86400' }).int().positive().default(24 * 3600),
  FENCUN_INBOX_FAILURE_BUDGET_HOURS: z.coerce.number({ message: 'must be a number of hours such as 24' }).positive('must be a positive number of hours such as 24').default(24),
  FENCUN_TRUSTED_PROXIES: z.string().refine((v) => splitList(v).every(isIp), {
    message: 'must be a comma-separated list of proxy IP addresses such as 127.0.0.1,10.0.0.2',
  }).optional(),
  FENCUN_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (a random secret)').optional(),
  FENCUN_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters (a random secret)').optional(),
});

type Env = Record<string, string | undefined>;

/** Loads the full configuration needed to serve; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const r = EnvSchema.safeParse(blankToUndefined(env));
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues));
  const e = r.data;
  const port = e.PORT;
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  return Object.freeze({
    database: parseDatabaseUrl(e.DATABASE_URL)!,
    wecom: {
      corpId: e.WECOM_CORP_ID,
      agentId: e.WECOM_AGENT_ID,
      agentSecret: e.WECOM_AGENT_SECRET,
      callbackToken: e.WECOM_CALLBACK_TOKEN,
      callbackAesKey: e.WECOM_CALLBACK_AES_KEY,
      apiBase: e.WECOM_API_BASE.replace(/\/+$/, ''),
    },
    publicBaseUrl,
    timezone: e.FENCUN_TIMEZONE,
    port,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    apiToken: e.FENCUN_API_TOKEN ?? '',
    // Without a configured secret, sessions survive only this process: acceptable for a trial,
    // and the start-up log says so.
    sessionSecret: e.FENCUN_SESSION_SECRET ?? randomSecret(),
    instanceId: e.FENCUN_INSTANCE_ID ?? defaultInstanceId(),
    demo: e.FENCUN_DEMO === '1' || e.FENCUN_DEMO === 'true',
    callback: {
      maxBodyBytes: e.FENCUN_CALLBACK_MAX_BODY_BYTES,
      maxClockSkewSeconds: e.FENCUN_CALLBACK_MAX_SKEW_SECONDS,
    },
    inbox: { failureBudgetMs: e.FENCUN_INBOX_FAILURE_BUDGET_HOURS * 3_600_000 },
    trustedProxies: splitList(e.FENCUN_TRUSTED_PROXIES ?? '').map(normalizeIp),
    metricsToken: e.FENCUN_METRICS_TOKEN ?? '',
    adminToken: e.FENCUN_ADMIN_TOKEN ?? '',
  });
}

/** Only what database commands (migrate, inbox, imports) need: they run without WeCom settings. */
export function loadDatabaseConfig(env: Env = process.env): DatabaseConfig {
  const r = z.object({ DATABASE_URL: databaseUrl.default(DEFAULT_SQLITE_URL) }).safeParse(blankToUndefined(env));
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues));
  return parseDatabaseUrl(r.data.DATABASE_URL)!;
}

export function parseDatabaseUrl(url: string): DatabaseConfig | null {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) return null;
    return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(file), url };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') return null;
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!u.hostname || !database) return null;
  return {
    kind: 'mysql',
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
    url,
  };
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.join('.')} ${i.message}`);
}

function splitList(v: string): string[] {
  return v.split(',').map((x) => x.trim()).filter(Boolean);
}

function isIp(v: string): boolean {
  return isIP(v) !== 0;
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.2, as Node reports IPv4 peers on a dual-stack socket) is the IPv4 address. */
export function normalizeIp(ip: string): string {
  return ip.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase();
}

function blankToUndefined(env: Env): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) out[k] = v === '' ? undefined : v;
  return out;
}

function randomSecret(): string {
  return randomBytes(32).toString('hex');
}

function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}`;
}
