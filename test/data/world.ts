import http from 'node:http';
import { listenOnFreePort } from '../helpers/listen';
import { Command } from 'commander';
import Koa from 'koa';
import { registerDataCommands } from '../../src/cli/data';
import { registerCustomerData } from '../../src/contacts/register';
import { dataApiRoutes, DataApiDeps } from '../../src/data-api/routes';
import { errorHandler } from '../../src/http/middleware/error-handler';
import { requestContext } from '../../src/http/middleware/request-context';
import type { Services } from '../../src/services';
import type { CustomerDataWecom } from '../../src/contacts/wecom-port';
import { startSimulator, RunningSimulator } from '../../src/wecom-simulator';
import type { GenerateOptions } from '../../src/wecom-simulator/seed';
import { WecomClient } from '../../src/wecom/client';
import { startTestApp, TestApp } from '../helpers/app';
import { TEST_WECOM } from '../helpers/wecom-callback';

export const API_TOKEN = 'test-api-token-0123456789abcdef';

/**
 * A Fencun test app wired to the WeCom simulator: the simulator's admin changes send signed
 * callbacks to the app, the app's WeCom client calls the simulator. `skewMs` moves the app's
 * clock (not the simulator's) to make events look old.
 */
export interface DataWorld {
  app: TestApp;
  sim: RunningSimulator;
  wecom: CustomerDataWecom;
  clock: { skewMs: number };
  /** Base URL of the data API (orders, archive ingest, timeline). */
  apiUrl: string;
  /** Waits for the simulator's callbacks to be answered, then processes the inbox. */
  deliver(): Promise<number>;
  stop(): Promise<void>;
}

export interface WorldOptions {
  seed?: GenerateOptions;
  env?: Record<string, string>;
  /** Wraps the real client (spies, injected failures). */
  wrap?: (client: WecomClient) => CustomerDataWecom;
}

export async function startDataWorld(o: WorldOptions = {}): Promise<DataWorld> {
  const clock = { skewMs: 0 };
  const sim = await startSimulator({
    port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret,
    callbackToken: TEST_WECOM.token, callbackAesKey: TEST_WECOM.aesKey,
    seed: { seed: 11, reps: 4, customers: 24, groupChats: 2, ...o.seed },
    // No resends, so each change is delivered exactly once; and a long answer window, so that
    // deliver() (flushCallbacks, then drain) never gives up on a callback a loaded machine acks
    // after WeCom's 5 s and then drains before that callback's insert has committed.
    callbackTimeoutMs: 30_000, callbackMaxRetries: 0,
  });
  let app: TestApp;
  try {
    app = await startTestApp({
      clock: () => new Date(Date.now() + clock.skewMs),
      env: { WECOM_API_BASE: sim.url, FENCUN_API_TOKEN: API_TOKEN, ...o.env },
    });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  const s = app.services;
  const client = new WecomClient({ config: s.config.wecom, db: s.db, clock: s.clock, log: s.log, metrics: s.metrics, retry: { retries: 0, baseDelayMs: 1 } });
  const wecom = o.wrap ? o.wrap(client) : client;
  registerCustomerData(s, wecom);
  sim.admin.setCallbackUrl(`${app.url}/wecom/callback`);
  const dataApi = await serveDataApi(s);
  return {
    app, sim, wecom, clock, apiUrl: dataApi.url,
    async deliver() {
      await sim.admin.flushCallbacks();
      return s.processor.drain();
    },
    async stop() {
      await dataApi.stop();
      await sim.stop();
      await app.stop();
    },
  };
}

/**
 * Serves the data API router the way the app mounts it (request context, error handler) on its
 * own port, over the app's services.
 */
export async function serveDataApi(s: Services, config: Partial<DataApiDeps['config']> = {}): Promise<{ url: string; stop(): Promise<void> }> {
  const koa = new Koa();
  koa.silent = true;
  koa.use(requestContext(s.log, s.metrics));
  koa.use(errorHandler());
  const router = dataApiRoutes({ db: s.db, clock: s.clock, config: { apiToken: s.config.apiToken, timezone: s.config.timezone, ...config } });
  koa.use(router.routes()).use(router.allowedMethods());
  const server = http.createServer(koa.callback());
  return listenOnFreePort(server);
}

/** Runs `npx fencun …` data commands in-process against the test database; returns what they printed. */
export async function runDataCli(databaseUrl: string, args: string[]): Promise<{ out: string; err: string; error: Error | null }> {
  const program = new Command('fencun').exitOverride();
  registerDataCommands(program);
  let out = '';
  let err = '';
  const writeOut = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const writeErr = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  const saved = { url: process.env.DATABASE_URL, level: process.env.LOG_LEVEL };
  process.env.DATABASE_URL = databaseUrl;
  process.env.LOG_LEVEL = 'silent';
  let error: Error | null = null;
  try {
    await program.parseAsync(['node', 'fencun', ...args]);
  } catch (e) {
    error = e as Error;
  } finally {
    writeOut.mockRestore();
    writeErr.mockRestore();
    restore('DATABASE_URL', saved.url);
    restore('LOG_LEVEL', saved.level);
  }
  return { out, err, error };
}

function restore(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

export async function api(base: string, method: string, path: string, body?: unknown, token: string | null = API_TOKEN) {
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}
