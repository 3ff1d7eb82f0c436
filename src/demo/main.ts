import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { startFencun, RunningFencun } from '../app';
import { NOW_OPTION_HELP, parseNowOption } from '../cli/now';
import { ConfigError, loadConfig } from '../config';
import { demoDigestLines } from '../digest/demo';
import { digestServiceOf } from '../digest/job';
import { findJob } from '../jobs/registry';
import { ensureSidebarBuilt } from '../sidebar-api/build';
import { createLogger } from '../log';
import { DEMO_CORP, loadSeedFile, RunningSimulator, saveSeedFile, startSimulator } from '../wecom-simulator';
import { localTimeLabel, offsetClock, parseAtOption } from './clock';
import { DEMO_CORP_SIZE } from './corp';
import { LiveCorp } from './live';
import { quietHoursNote } from './quiet-hours';
import { readDemoSeed, seedDemo } from './seed';

/**
 * `npm run demo`: the bundled WeCom simulator with a seeded corp, and Fencun against it on an
 * embedded SQLite database. The first start builds Fencun's view of the corp (see seed.ts); later
 * starts reuse it. Live events keep coming, and the demo prints what Fencun did about each.
 *
 * Environment (all optional): PORT (Fencun, default 3000), FENCUN_DEMO_SIMULATOR_PORT (4100),
 * FENCUN_DEMO_EMIT_SECONDS (4, 0 = no live events), FENCUN_TIMEZONE, LOG_LEVEL (warn).
 */

const DATA_DIR = 'data';
const DB_FILE = path.join(DATA_DIR, 'demo.sqlite');
/** The simulated corp as the demo left it (new customers, deletions), so WeCom and Fencun agree on the next start. */
const CORP_FILE = path.join(DATA_DIR, 'demo-corp.json');
/** Opens the demo's machine APIs (orders, archive); printed, since it only opens a local demo. */
const DEMO_API_TOKEN = 'fencun-demo-api-token-local-only';
/** Opens the demo's console by local token too (printed, as above). */
const DEMO_ADMIN_TOKEN = 'fencun-demo-admin-token-local-only';
/** Who may sign in to the demo's console: written after seeding, read by the console on every request. */
const ADMIN_FILE = path.join(DATA_DIR, 'demo-admin.json');

interface DemoOptions {
  reset: boolean;
  at?: string;
  now?: string;
}

function parseArgs(argv: string[]): DemoOptions {
  const program = new Command('npm run demo --')
    .description('Fencun with the bundled WeCom simulator and a seeded demo corp, on data/demo.sqlite')
    .option('--reset', 'forget the demo data (data/demo.sqlite, data/demo-corp.json) and seed a fresh corp')
    .option('--at <HH:MM>', 'run the corp clock from today at this local time (FENCUN_TIMEZONE), e.g. 22:30 to see quiet hours')
    .option('--now <ISO>', NOW_OPTION_HELP)
    .addHelpText('after', [
      '',
      'The simulator and Fencun share the corp clock; it starts at --at/--now and runs at real speed.',
      'Environment: PORT (3000), FENCUN_DEMO_SIMULATOR_PORT (4100), FENCUN_DEMO_EMIT_SECONDS (4; 0 = no live events),',
      'FENCUN_TIMEZONE (Asia/Shanghai), LOG_LEVEL (warn).',
    ].join('\n'))
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ reset?: boolean; at?: string; now?: string }>();
  if (o.at && o.now) throw new Error('give either --at or --now, not both');
  return { reset: !!o.reset, at: o.at, now: o.now };
}

async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<void> {
  const opts = parseArgs(argv);
  const say = (line: string) => process.stdout.write(line + '\n');
  const log = createLogger(env.LOG_LEVEL ?? 'warn');
  const timeZone = env.FENCUN_TIMEZONE || 'Asia/Shanghai';
  const emitSeconds = Number(env.FENCUN_DEMO_EMIT_SECONDS ?? 4);
  const wall = new Date();
  const start = opts.at ? parseAtOption(opts.at, wall, timeZone) : parseNowOption(opts.now, () => wall);
  const clock = offsetClock(start);

  if (opts.reset) removeDemoData();
  const reuse = fs.existsSync(DB_FILE) && fs.existsSync(CORP_FILE);
  if (!reuse) removeDemoData();
  const t0 = Date.now();

  const sim = await startSimulator({
    port: Number(env.FENCUN_DEMO_SIMULATOR_PORT ?? 4100),
    ...DEMO_CORP,
    seed: reuse ? loadSeedFile(CORP_FILE) : DEMO_CORP_SIZE,
    clock,
    log,
  }).catch((err: Error) => {
    throw new Error(`the WeCom simulator could not start (${err.message}); set FENCUN_DEMO_SIMULATOR_PORT to a free port`);
  });

  let fencun: RunningFencun;
  try {
    fs.mkdirSync(DATA_DIR, { recursive: true });
    const config = loadConfig({
      PORT: env.PORT ?? '3000',
      HOST: env.HOST ?? '0.0.0.0',
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      FENCUN_TIMEZONE: timeZone,
      PUBLIC_BASE_URL: env.PUBLIC_BASE_URL,
      DATABASE_URL: `sqlite:${DB_FILE}`,
      WECOM_CORP_ID: DEMO_CORP.corpId,
      WECOM_AGENT_ID: String(DEMO_CORP.agentId),
      WECOM_AGENT_SECRET: DEMO_CORP.secret,
      WECOM_CALLBACK_TOKEN: DEMO_CORP.callbackToken,
      WECOM_CALLBACK_AES_KEY: DEMO_CORP.callbackAesKey,
      WECOM_API_BASE: sim.url,
      FENCUN_API_TOKEN: DEMO_API_TOKEN,
      FENCUN_ADMIN_TOKEN: DEMO_ADMIN_TOKEN,
      FENCUN_DEMO: '1',
    });
    // The console's roles come from this file (src/admin/roles.ts), unless the operator named another.
    process.env.FENCUN_ADMIN_CONFIG ||= path.resolve(ADMIN_FILE);
    say(`Starting the Fencun (分寸) demo — corp clock ${localTimeLabel(clock(), timeZone)}`);
    fencun = await startFencun(config, { log, defaultMetrics: true, clock });
  } catch (err) {
    await sim.stop();
    throw err;
  }
  sim.admin.setCallbackUrl(`${fencun.url}/wecom/callback`);
  const verified = await sim.admin.verifyCallbackUrl().catch(() => ({ ok: false }));

  // A fresh clone has no sidebar build yet: make it while the demo seeds, not on the first page view.
  const page = ensureSidebarBuilt(log).then(() => null, (err: Error) => err.message);
  try {
    let marker = reuse ? await readDemoSeed(fencun.services) : null;
    if (!marker) {
      say(reuse ? 'The last demo seeding did not finish; seeding again:' : 'First start: seeding the demo corp and Fencun\'s view of it (once; later starts reuse it):');
      const s = await seedDemo({ services: fencun.services, jobs: fencun.jobs, url: fencun.url, apiToken: DEMO_API_TOKEN, sim, say });
      saveSeedFile(CORP_FILE, sim.admin.exportSeed());
      marker = await readDemoSeed(fencun.services);
      const c = s.counts;
      say(`  seeded in ${(s.ms / 1000).toFixed(1)} s: ${c.members} members, ${c.customers} customers, ${c.orders} orders, ${c.messages} messages, ${c.reminders} open reminders, ${c.complaints} complaints`);
      say(`  tiers: ${['core', 'key', 'regular', 'potential'].map((t) => `${fencun.services.judgement.policy.tiers.tiers.find((x) => x.id === t)?.label ?? t} ${c.tiers[t] ?? 0}`).join(' · ')}`);
    } else {
      // Days may have passed since the last start: catch up the way the nightly and morning jobs would.
      for (const name of ['tiers-recompute', 'care-reminders']) await fencun.jobs.runNow(findJob(name)!, clock(), () => undefined);
      say(`Reusing ${DB_FILE} (seeded ${marker.seededAt.slice(0, 10)}; \`npm run demo -- --reset\` starts fresh); tiers and reminders brought up to date.`);
    }

    // The supervisors' morning digest for yesterday, as the 08:30 job sends it (once per day, whatever the starts).
    for (const line of await demoDigestLines({ services: fencun.services, url: fencun.url })) say(line);
    const admin = await writeDemoAdmins(fencun);

    const pageError = await page;
    if (pageError) say(`  the sidebar page could not be built (${pageError}); run npm run build:sidebar`);
    const summary = sim.admin.summary();
    const showcase = marker?.showcaseRep ? (sim.state.users.get(marker.showcaseRep)?.name ?? marker.showcaseRep) : null;
    say('');
    say(`Fencun (分寸) demo is running (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    say(`  sidebar            ${fencun.url}/sidebar/${showcase ? `   (pick ${showcase}: every kind of advice is in that book)` : ''}`);
    say(`  Fencun             ${fencun.url}    metrics ${fencun.url}/metrics    readiness ${fencun.url}/readyz`);
    say(`  machine APIs       ${fencun.url}/api/…  (Authorization: Bearer ${DEMO_API_TOKEN})`);
    say(`  console            ${fencun.url}/admin/console/   (企业微信扫码 as ${admin ?? 'a listed member'}, the demo admin; or local token ${DEMO_ADMIN_TOKEN})`);
    say(`  digest page        ${fencun.url}/digest/`);
    say(`  WeCom simulator    ${sim.url}   (admin: ${sim.url}/__admin/state)`);
    say(`  demo corp          ${summary.users} members, ${summary.customers} customers, ${summary.groupChats} customer groups`);
    say(`  callback URL       ${verified.ok ? 'verified by the simulator' : 'NOT verified: check the log'}`);
    say(`  corp clock         ${localTimeLabel(clock(), timeZone)}${opts.at || opts.now ? '' : '  (--at 22:30 shows quiet hours)'}`);
    const labels = Object.fromEntries(fencun.services.judgement.policy.tiers.tiers.map((t) => [t.id, t.label]));
    const quiet = quietHoursNote(fencun.services.judgement.pressurePolicy, clock(), labels);
    if (quiet) say(`                     ${quiet}`);
    say(emitSeconds > 0 ? `A live event every ${emitSeconds}s, and what Fencun did about it. Ctrl-C stops both.` : 'Live events are off. Ctrl-C stops both.');
    say('');
  } catch (err) {
    await shutdown(sim, fencun, null);
    throw err;
  }

  const live = new LiveCorp({
    services: fencun.services, jobs: fencun.jobs, url: fencun.url, apiToken: DEMO_API_TOKEN, sim,
    showcaseRepId: (await readDemoSeed(fencun.services))?.showcaseRep ?? null, say,
  });
  if (emitSeconds > 0) live.start(emitSeconds * 1000);
  const watcher = watchInbox(fencun, say);

  await new Promise<void>((resolve) => {
    const stop = () => {
      say('\nstopping…');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  live.stop();
  clearInterval(watcher);
  await shutdown(sim, fencun, CORP_FILE);
}

/**
 * The demo's console roles: the supervisor of the most reps is the demo admin, the other
 * supervisors operators. Returns the admin's name for the banner.
 */
async function writeDemoAdmins(fencun: RunningFencun): Promise<string | null> {
  if (process.env.FENCUN_ADMIN_CONFIG !== path.resolve(ADMIN_FILE)) return null;
  const sups = (await digestServiceOf(fencun.services).supervisions()).sort((a, b) => b.reps.length - a.reps.length);
  const [top, ...rest] = sups;
  fs.writeFileSync(ADMIN_FILE, JSON.stringify({
    $comment: 'Written by npm run demo: who may sign in to the demo console (config/admin.json explains the lists).',
    admins: top ? [top.userId] : [], operators: rest.map((x) => x.userId), viewers: [], sessionTtlMinutes: 480, loginBase: null,
  }, null, 2) + '\n');
  return top ? `${top.name} (${top.userId})` : null;
}

function removeDemoData(): void {
  for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`, CORP_FILE, ADMIN_FILE]) fs.rmSync(f, { force: true });
}

/** Prints one line per WeCom callback Fencun finishes processing. */
function watchInbox(fencun: RunningFencun, say: (line: string) => void): NodeJS.Timeout {
  const { inbox } = fencun.services;
  let startAfter: number | null = null;
  const printed = new Set<number>();
  return setInterval(() => {
    void inbox.list({ limit: 50 }).then((rows) => {
      // Start after whatever seeding or an earlier run left in the database.
      startAfter ??= rows.reduce((m, r) => Math.max(m, r.id), 0);
      const finished = rows.filter((r) => r.id > startAfter! && (r.status === 'done' || r.status === 'dead') && !printed.has(r.id));
      for (const r of finished.reverse()) {
        printed.add(r.id);
        say(`  Fencun   ✓ ${r.kind} #${r.id} ${r.status === 'done' ? 'processed' : 'failed: ' + (r.lastError ?? '')}`);
      }
    }, () => undefined);
  }, 1_000);
}

async function shutdown(sim: RunningSimulator, fencun: RunningFencun, corpFile: string | null): Promise<void> {
  sim.emitter.stop();
  if (corpFile) saveSeedFile(corpFile, sim.admin.exportSeed());
  await sim.stop();
  await fencun.stop();
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    const message = err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`The demo could not start: ${message}\n`);
    process.exit(1);
  },
);
