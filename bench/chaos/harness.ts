import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDatabaseUrl } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { enqueue } from '../../src/outbox/service';
import type { NewIntent } from '../../src/outbox/types';
import { Random } from '../../src/wecom-simulator/random';
import { RunningSimulator, startSimulator } from '../../src/wecom-simulator';
import { TEST_WECOM, TEST_WECOM_ENV } from '../../test/helpers/wecom-callback';
import { FencunInstance, JobLogLine } from './instances';
import { freePort, PrivateMariaDb } from './mariadb';
import { RoundRobinProxy } from './proxy';
import { verify, Verdict } from './verify';
import { Workload } from './workload';

export interface ChaosOptions {
  mode: 'short' | 'full';
  /** Callbacks (original changes) to generate; copies and WeCom's resends come on top. */
  callbacks: number;
  /** How long the traffic phase should last (the generator's pace; backpressure may stretch it). */
  trafficMs: number;
  /** Faults to inject at least (the schedule repeats its kinds until there are this many). */
  faults: number;
  /** Outbox intents enqueued during the traffic (app messages to reps, every fourth a mass task). */
  sends: number;
  /** The sends are enqueued over this share of the traffic phase (the rest of it sees only callbacks). */
  sendSpread: number;
  /** Longest wait, after the traffic, for inbox, outbox and callbacks to settle. */
  drainMs: number;
  reps: number;
  customers: number;
  seed?: number;
  /** Progress lines (stderr in the CLI, the test's log). */
  log?: (line: string) => void;
  /** Keep the temporary folder (logs, data directory) even when the run passes. */
  keep?: boolean;
}

export const SHORT: Omit<ChaosOptions, 'log'> = {
  mode: 'short', callbacks: 300, trafficMs: 24_000, faults: 7, sends: 10, sendSpread: 0.3, drainMs: 110_000, reps: 12, customers: 120,
};

// The full run's storms (45009 rests an endpoint 60 s on each instance that met it) hold
// processing back while callbacks keep arriving. Measured on a 2-core machine: at load 9–13 three
// instances processed ~12 events/s during the faults and 50–77/s after, leaving ~40k queued at the
// end of traffic; at load 4–12 (2026-12-02) the backlog drained 200 s after the traffic. The drain
// may wait 15 minutes.
export const FULL: Omit<ChaosOptions, 'log'> = {
  mode: 'full', callbacks: 50_000, trafficMs: 480_000, faults: 24, sends: 250, sendSpread: 0.8, drainMs: 900_000, reps: 60, customers: 600,
};

export interface ChaosResult extends Verdict {
  durationMs: number;
  trafficMs: number;
  callbacks: number;
  deliveries: number;
  copies: number;
  resends: number;
  lostAcks: number;
  reorderWindows: number;
  sendsEnqueued: number;
  faults: Record<string, number>;
  faultsTotal: number;
  dir: string;
}

type FaultKind = 'kill -9 mid-send' | 'kill -9' | 'MariaDB crash + restart' | 'access tokens expired' | '45009 storm' | '-1 storm' | 'WeCom slower than the client timeout';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Three Fencun instances (the real `src/main.ts`) on one private MariaDB, the simulator in this
 * process delivering callbacks round-robin through a proxy, outbox sends enqueued while faults
 * strike on a schedule; then everything is drained and the simulator's ledger and world are
 * compared with Fencun's database (verify.ts).
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const say = o.log ?? (() => undefined);
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fencun-chaos-'));
  const random = new Random(o.seed ?? 20_240_601);
  const rand = () => random.next();
  const tag = `chaos${started.toString(36)}`;
  const mariadb = new PrivateMariaDb(dir);
  const instances: FencunInstance[] = [];
  const jobLines: JobLogLine[] = [];
  let sim: RunningSimulator | null = null;
  let proxy: RoundRobinProxy | null = null;
  let db: Database | null = null;
  let passed = false;
  try {
    say(`chaos (${o.mode}): temporary folder ${dir}`);
    await mariadb.init();
    await mariadb.start();
    const url = await mariadb.createDatabase('fencun_chaos');
    say(`private mariadbd on 127.0.0.1:${mariadb.port}`);

    const ports = [await freePort(), await freePort(), await freePort()];
    proxy = new RoundRobinProxy(() => instances.map((i) => i.url), 50);
    await proxy.start();
    sim = await startSimulator({
      port: 0, corpId: TEST_WECOM.corpId, agentId: TEST_WECOM.agentId, secret: TEST_WECOM.secret,
      callbackToken: TEST_WECOM.token, callbackAesKey: TEST_WECOM.aesKey,
      seed: { seed: o.seed ?? 7, reps: o.reps, customers: o.customers, teamSize: 6 },
      callbackUrl: `${proxy.url}/wecom/callback`,
      // WeCom: 5 s to answer, three resends. A wider gap than WeCom's documented minimum keeps a
      // resend from landing in the same second of a MariaDB restart as the first attempt.
      callbackTimeoutMs: 5_000, callbackMaxRetries: 3, callbackRetryDelayMs: 3_000,
    });
    const env = {
      ...TEST_WECOM_ENV, DATABASE_URL: url, WECOM_API_BASE: sim.url, HOST: '127.0.0.1', LOG_LEVEL: 'info',
      FENCUN_SESSION_SECRET: 'chaos-session-secret-0123456789',
    };
    ports.forEach((port, n) => instances.push(new FencunInstance(`chaos-${n + 1}`, port, env, path.join(dir, `instance-${n + 1}.log`), (l) => jobLines.push(l))));
    await Promise.all(instances.map((i) => i.start()));
    say(`3 instances serving (${instances.map((i) => i.url).join(', ')}); simulator ${sim.url}; proxy ${proxy.url}`);

    const ds = createDataSource(parseDatabaseUrl(url)!);
    await ds.initialize();
    db = new Database(ds);

    const reps = sim.admin.reps().map((r) => r.userId);
    const workload = new Workload(sim, reps, tag);
    const faults: Record<string, number> = {};
    const count = (k: FaultKind) => (faults[k] = (faults[k] ?? 0) + 1);
    const simulator = sim;
    const database = db;

    // ---- sends: app messages to reps (≤ 5 each: config/outbox.json's repDailyCap is 6), every fourth a mass task
    const intents: NewIntent[] = [];
    for (let n = 0; n < o.sends; n++) {
      const rep = reps[n % reps.length];
      const key = `${tag}:send:${n}`;
      if (n % 4 === 3) {
        const customers = [...(simulator.state.followsByUser.get(rep)?.keys() ?? [])].slice(0, 2);
        intents.push({ kind: 'mass_task', chatType: 'single', sender: rep, externalUserIds: customers, text: `${tag} mass #${n}`, key, dueAt: 0, origin: 'chaos' });
      } else {
        intents.push({ kind: 'app_message', toUser: rep, message: { msgtype: 'text', text: { content: `${tag} send #${n}` } }, key, dueAt: 0, origin: 'chaos' });
      }
    }
    const enqueueOne = async (i: NewIntent) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        try {
          const now = Date.now();
          // The path every producer takes: enqueue on the producer's own transaction.
          await database.transaction((tx) => enqueue(tx, { ...i, dueAt: now }, now));
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(500);
        }
      }
    };

    // ---- faults on a schedule
    const runningSendOwner = async (): Promise<string | null> => {
      try {
        const rows = await database.query<{ lease_owner: string }>(`SELECT lease_owner FROM outbox_intents WHERE status = 'running' AND lease_owner IS NOT NULL`);
        return rows[0]?.lease_owner ?? null;
      } catch {
        return null;
      }
    };
    const restartLater = (inst: FencunInstance, ms: number) => sleep(ms).then(() => inst.startSupervised()).catch((err) => say(`  could not restart ${inst.id}: ${(err as Error).message}`));
    const pendingRestarts: Promise<void>[] = [];
    const fault = async (k: FaultKind): Promise<void> => {
      const admin = simulator.admin;
      switch (k) {
        case 'kill -9 mid-send': {
          // Hold message/send's answer after WeCom delivered it, then kill whoever is waiting for it.
          admin.injectFault({ endpoint: 'message/send', kind: 'latency', latencyMs: 15_000, afterAction: true, count: 1 });
          let owner: string | null = null;
          for (let t = 0; t < 200 && !owner; t++) {
            if (admin.faults().held > 0) owner = await runningSendOwner();
            if (!owner) await sleep(100);
          }
          const victim = instances.find((i) => i.id === owner && i.serving);
          if (!victim) {
            say('  (no send in flight within 20 s: killing an instance anyway)');
            await fault('kill -9');
            return;
          }
          await victim.kill9();
          count(k);
          say(`  kill -9 ${victim.id} while its message/send was answered late`);
          pendingRestarts.push(restartLater(victim, 1_500));
          return;
        }
        case 'kill -9': {
          const live = instances.filter((i) => i.serving);
          if (live.length < 2) return;
          const victim = live[Math.floor(rand() * live.length)];
          await victim.kill9();
          count(k);
          say(`  kill -9 ${victim.id}`);
          pendingRestarts.push(restartLater(victim, 1_500));
          return;
        }
        case 'MariaDB crash + restart':
          await mariadb.crashAndRestart(1_500);
          count(k);
          say('  mariadbd SIGKILLed and restarted');
          return;
        case 'access tokens expired':
          admin.expireTokens();
          count(k);
          return;
        case '45009 storm':
          for (const endpoint of ['message/send', 'externalcontact/get', 'externalcontact/add_msg_template', 'externalcontact/send_welcome_msg']) {
            admin.injectFault({ endpoint, kind: 'errcode', errcode: 45009, count: endpoint === 'externalcontact/get' ? 6 : 2 });
          }
          count(k);
          return;
        case '-1 storm':
          admin.injectFault({ endpoint: 'externalcontact/get', kind: 'errcode', errcode: -1, count: 8 });
          // -1 after the work was done: the send happened, the client cannot know.
          admin.injectFault({ endpoint: 'message/send', kind: 'errcode', errcode: -1, count: 2, afterAction: true });
          admin.injectFault({ endpoint: 'externalcontact/send_welcome_msg', kind: 'errcode', errcode: -1, count: 2, afterAction: true });
          admin.injectFault({ endpoint: 'message/send', kind: 'errcode', errcode: -1, count: 1 });
          count(k);
          return;
        case 'WeCom slower than the client timeout':
          // The client gives up after 10 s; these answers come after 12 s, the work already done.
          for (const endpoint of ['message/send', 'externalcontact/add_msg_template', 'externalcontact/send_welcome_msg', 'externalcontact/get']) {
            admin.injectFault({ endpoint, kind: 'latency', latencyMs: 12_000, afterAction: true, count: 1 });
          }
          count(k);
          return;
      }
    };
    const cycle: FaultKind[] = ['kill -9 mid-send', '45009 storm', '-1 storm', 'MariaDB crash + restart', 'WeCom slower than the client timeout', 'access tokens expired', 'kill -9'];
    const schedule: { at: number; kind: FaultKind }[] = [];
    // The first fault (kill -9 mid-send) at once, before the first sends go; the rest spread over 80 % of the traffic.
    const every = (o.trafficMs * 0.8) / Math.max(1, o.faults - 1);
    for (let n = 0; n < o.faults; n++) schedule.push({ at: Math.round(every * n), kind: cycle[n % cycle.length] });

    // ---- traffic
    const t0 = Date.now();
    say(`traffic: ${o.callbacks} callbacks over ~${Math.round(o.trafficMs / 1000)} s, ${o.sends} sends, ${o.faults} faults`);
    const sendsDone = (async () => {
      // The first sends are due at once (the first fault kills an instance in the middle of one).
      for (let n = 0; n < intents.length; n++) {
        const at = n < 3 ? 0 : Math.round((n / intents.length) * o.trafficMs * o.sendSpread);
        const wait = t0 + at - Date.now();
        if (wait > 0) await sleep(wait);
        await enqueueOne(intents[n]);
      }
    })();
    const faultsDone = (async () => {
      for (const s of schedule) {
        const wait = t0 + s.at - Date.now();
        if (wait > 0) await sleep(wait);
        say(`t+${((Date.now() - t0) / 1000).toFixed(0)} s fault: ${s.kind}`);
        await fault(s.kind);
      }
    })();
    let generated = 0;
    let deliveries = 0;
    let reorderWindows = 0;
    let nextReorder = t0 + 3_000;
    let holding = false;
    let lastReport = t0;
    while (generated < o.callbacks) {
      const now = Date.now();
      if (!holding && now >= nextReorder) {
        simulator.admin.holdCallbacks();
        holding = true;
        nextReorder = now + 600;
      } else if (holding && now >= nextReorder) {
        simulator.admin.releaseCallbacks('shuffle');
        holding = false;
        reorderWindows++;
        nextReorder = now + 2_500 + Math.floor(rand() * 3_000);
      }
      const due = Math.min(o.callbacks, Math.ceil(((now - t0) / o.trafficMs) * o.callbacks));
      const room = 400 - workload.unsettled();
      for (let n = 0; n < Math.min(due - generated, room); n++) {
        deliveries += workload.step(rand);
        generated++;
      }
      if (now - lastReport >= 15_000) {
        lastReport = now;
        say(`t+${((now - t0) / 1000).toFixed(0)} s: ${generated} callbacks generated`);
      }
      await sleep(20);
    }
    if (holding) simulator.admin.releaseCallbacks('shuffle');
    await Promise.all([sendsDone, faultsDone]);
    await Promise.all(pendingRestarts);
    const trafficMs = Date.now() - t0;
    say(`traffic done in ${(trafficMs / 1000).toFixed(0)} s; draining`);

    // ---- drain: the storm is over; every instance up; wait for callbacks, inbox and outbox
    simulator.admin.clearFaults();
    simulator.admin.releaseHeld();
    await Promise.all(instances.map((i) => i.startSupervised()));
    await simulator.admin.flushCallbacks();
    const drainDeadline = Date.now() + o.drainMs;
    let settled = false;
    while (Date.now() < drainDeadline) {
      const [inbox] = await database.query<{ n: number }>(`SELECT COUNT(*) AS n FROM inbox_events WHERE status IN ('pending', 'processing')`);
      // A pending intent not due before the drain ends was deferred with its reason (a rep's daily
      // cap, quiet hours): waiting cannot settle it, and verify checks it was held, not sent.
      const [outbox] = await database.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM outbox_intents WHERE status IN ('running', 'polling') OR (status = 'pending' AND next_attempt_at <= ?)`, [drainDeadline]);
      const [jobs] = await database.query<{ n: number }>(`SELECT COUNT(*) AS n FROM job_runs WHERE status = 'running'`);
      if (Number(inbox.n) === 0 && Number(outbox.n) === 0 && Number(jobs.n) === 0) {
        settled = true;
        break;
      }
      await sleep(1_000);
    }
    say(settled ? `drained after ${((Date.now() - t0 - trafficMs) / 1000).toFixed(0)} s` : `not drained within ${o.drainMs / 1000} s`);

    const verdict = await verify({ db: database, sim: simulator, workload, intents, jobLines, now: Date.now() });
    for (const i of instances) await i.stop();
    const copies = workload.duplicates;
    const resends = workload.events.reduce((s, e) => s + e.deliveries.reduce((t, d) => t + Math.max(0, d.attempts.length - 1), 0), 0);
    const faultsTotal = Object.values(faults).reduce((a, b) => a + b, 0);
    const result: ChaosResult = {
      ...verdict, durationMs: Date.now() - started, trafficMs, callbacks: generated, deliveries, copies, resends,
      lostAcks: proxy.lostAcks, reorderWindows, sendsEnqueued: intents.length, faults, faultsTotal, dir,
    };
    passed = result.lost === 0 && result.doubled === 0 && result.misrecorded === 0 && result.stuck === 0;
    return result;
  } finally {
    for (const i of instances) await i.kill9().catch(() => undefined);
    await db?.ds.destroy().catch(() => undefined);
    await sim?.stop().catch(() => undefined);
    await proxy?.stop().catch(() => undefined);
    await mariadb.stop('SIGTERM').catch(() => undefined);
    if (passed && !o.keep) fs.rmSync(dir, { recursive: true, force: true });
    else say(`logs and data kept in ${dir}`);
  }
}

/** The one table a run prints. */
export function formatTable(r: ChaosResult): string {
  const faults = Object.entries(r.faults).map(([k, v]) => `${v} ${k}`).join(', ');
  const rows: [string, string][] = [
    ['duration', `${(r.durationMs / 1000).toFixed(0)} s (traffic ${(r.trafficMs / 1000).toFixed(0)} s)`],
    ['events', `${r.callbacks} callbacks (${r.copies} duplicates, ${r.resends} WeCom resends, ${r.lostAcks} acks lost on the way, ${r.reorderWindows} shuffled bursts); ${r.eventsStored} stored and processed, ${r.unacknowledged} never acknowledged`],
    ['sends', `${r.sendsEnqueued} outbox intents (${r.sendStatuses}); ${r.welcomes}`],
    ['faults injected', `${r.faultsTotal}: ${faults}`],
    ['job slots', `${r.jobSlots} run, none twice`],
    ['lost', String(r.lost)],
    ['doubled', String(r.doubled)],
    ...(r.misrecorded ? [['misrecorded', String(r.misrecorded)] as [string, string]] : []),
    ...(r.stuck ? [['leases stuck', String(r.stuck)] as [string, string]] : []),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v} |`);
  const out = [`| ${'chaos'.padEnd(w)} | result |`, `|${'-'.repeat(w + 2)}|--------|`, ...lines];
  if (r.notes.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  if (r.problems.length) out.push('', `problems (${r.problems.length}):`, ...r.problems.slice(0, 40).map((p) => `  - ${p}`));
  return out.join('\n');
}
