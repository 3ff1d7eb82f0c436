import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { Clock, systemClock } from '../clock';
import type { Log } from '../log';
import { SimulatorAdmin } from './admin';
import { adminErrors, adminRoutes } from './admin-routes';
import { apiMiddleware } from './api';
import type { SimContext } from './api/context';
import { CallbackSender } from './callbacks';
import { EmittedEvent, RandomEmitter } from './emitter';
import { Platform } from './platform';
import { GenerateOptions, generateSeed, SeedData } from './seed';
import { SimState } from './state';
import { webLoginRoutes } from './web-login';

export interface SimulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  corpId: string;
  agentId: number | string;
  secret: string;
  callbackToken: string;
  callbackAesKey: string;
  /** Fencun's /wecom/callback; without it, changes are recorded but no callback is sent. */
  callbackUrl?: string | null;
  /** A seed file's data, a PRNG seed number, or generator options. Default: seed 1, 12 reps, 300 customers. */
  seed?: SeedData | number | GenerateOptions;
  clock?: Clock;
  /** WeCom's 5 s answer deadline and 3 resends; shorten in tests. */
  callbackTimeoutMs?: number;
  callbackMaxRetries?: number;
  callbackRetryDelayMs?: number;
  /** externalcontact/get pages follow_user at this size (WeCom: 500). */
  followUserPageSize?: number;
  /** Emit a random live event this often (demo, --emit-every). */
  emitEveryMs?: number;
  onEmit?: (e: EmittedEvent) => void;
  log?: Log;
}

export interface RunningSimulator {
  url: string;
  admin: SimulatorAdmin;
  state: SimState;
  emitter: RandomEmitter;
  stop(): Promise<void>;
}

/** Starts the WeCom simulator: the documented API under /cgi-bin, the admin API under /__admin. */
export async function startSimulator(o: SimulatorOptions): Promise<RunningSimulator> {
  const clock = o.clock ?? systemClock;
  let offset = 0;
  const now = () => clock().getTime() + offset;
  // A generated corp is dated relative to today (same ids and names every day, recent dates).
  const today = Math.floor(now() / 86_400_000) * 86_400;
  const seed = isSeedData(o.seed) ? o.seed : generateSeed({ now: today, ...(typeof o.seed === 'number' ? { seed: o.seed } : o.seed) });
  const state = new SimState(seed);
  const sender = new CallbackSender(
    {
      url: o.callbackUrl ?? null, corpId: o.corpId, agentId: Number(o.agentId), token: o.callbackToken, aesKey: o.callbackAesKey,
      timeoutMs: o.callbackTimeoutMs ?? 5_000, maxRetries: o.callbackMaxRetries ?? 3, retryDelayMs: o.callbackRetryDelayMs ?? 1_000,
    },
    () => Math.floor(now() / 1000),
  );
  const sim: SimContext = {
    corpId: o.corpId, agentId: Number(o.agentId), secret: o.secret, state, platform: new Platform(now), sender, now,
    followUserPageSize: o.followUserPageSize ?? 500,
  };
  const admin = new SimulatorAdmin(sim, (ms) => (offset = ms));
  const emitter = new RandomEmitter(admin, state, Date.now(), o.onEmit);

  const app = new Koa();
  app.silent = true;
  app.use(adminErrors());
  app.use(apiMiddleware(sim, o.log));
  const admins = adminRoutes(admin, emitter);
  app.use(admins.routes()).use(admins.allowedMethods());
  const webLogin = webLoginRoutes(admin, state, o.corpId);
  app.use(webLogin.routes());

  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = !o.host || o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const url = `http://${host}:${port}`;
  if (o.emitEveryMs) emitter.start(o.emitEveryMs);
  o.log?.info({ url, ...state.counts() }, 'WeCom simulator listening');

  return {
    url, admin, state, emitter,
    async stop() {
      emitter.stop();
      sender.close();
      await sender.flush();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function isSeedData(s: SimulatorOptions['seed']): s is SeedData {
  return typeof s === 'object' && s !== null && 'version' in s && 'users' in s;
}
