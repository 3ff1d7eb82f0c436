import { startFencun, RunningFencun } from '../app';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../log';
import { DEMO_CORP, EmittedEvent, RunningSimulator, startSimulator } from '../wecom-simulator';

/**
 * `npm run demo`: the bundled WeCom simulator with a seeded corp, and Fencun against it on an
 * embedded SQLite database (data/demo.sqlite). The simulator plays a live corp — customers
 * added, messages, deletions — every few seconds, and each event is printed when Fencun has
 * processed it. Ctrl-C stops both.
 *
 * Environment (all optional): PORT (Fencun, default 3000), FENCUN_DEMO_SIMULATOR_PORT (4100),
 * FENCUN_DEMO_EMIT_SECONDS (4, 0 = no live events), LOG_LEVEL (warn, so the demo lines stay readable).
 */
async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  const log = createLogger(env.LOG_LEVEL ?? 'warn');
  const emitSeconds = Number(env.FENCUN_DEMO_EMIT_SECONDS ?? 4);
  const say = (line: string) => process.stdout.write(line + '\n');

  const sim = await startSimulator({
    port: Number(env.FENCUN_DEMO_SIMULATOR_PORT ?? 4100),
    ...DEMO_CORP,
    seed: { seed: 2025, reps: 24, customers: 1_200 },
    onEmit: (e: EmittedEvent) => say(`  WeCom  → ${e.text}`),
    log,
  }).catch((err: Error) => {
    throw new Error(`the WeCom simulator could not start (${err.message}); set FENCUN_DEMO_SIMULATOR_PORT to a free port`);
  });

  let fencun: RunningFencun;
  try {
    const config = loadConfig({
      PORT: env.PORT ?? '3000',
      HOST: env.HOST ?? '0.0.0.0',
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      FENCUN_TIMEZONE: env.FENCUN_TIMEZONE,
      PUBLIC_BASE_URL: env.PUBLIC_BASE_URL,
      DATABASE_URL: 'sqlite:data/demo.sqlite',
      WECOM_CORP_ID: DEMO_CORP.corpId,
      WECOM_AGENT_ID: String(DEMO_CORP.agentId),
      WECOM_AGENT_SECRET: DEMO_CORP.secret,
      WECOM_CALLBACK_TOKEN: DEMO_CORP.callbackToken,
      WECOM_CALLBACK_AES_KEY: DEMO_CORP.callbackAesKey,
      WECOM_API_BASE: sim.url,
      FENCUN_DEMO: '1',
    });
    fencun = await startFencun(config, { log, defaultMetrics: true });
  } catch (err) {
    await sim.stop();
    throw err;
  }

  sim.admin.setCallbackUrl(`${fencun.url}/wecom/callback`);
  const verified = await sim.admin.verifyCallbackUrl().catch(() => ({ ok: false }));
  const summary = sim.admin.summary();
  say('');
  say('Fencun (分寸) demo is running');
  say(`  Fencun             ${fencun.url}`);
  say(`  metrics            ${fencun.url}/metrics`);
  say(`  readiness          ${fencun.url}/readyz`);
  say(`  sidebar            ${fencun.url}/sidebar/`);
  say(`  WeCom simulator    ${sim.url}   (admin: ${sim.url}/__admin/state)`);
  say(`  demo corp          ${summary.users} members, ${summary.customers} customers, ${summary.groupChats} customer groups`);
  say(`  callback URL       ${verified.ok ? 'verified by the simulator' : 'NOT verified: check the log'}`);
  say(emitSeconds > 0 ? `A live event every ${emitSeconds}s. Ctrl-C stops both.` : 'Live events are off. Ctrl-C stops both.');
  say('');

  if (emitSeconds > 0) sim.emitter.start(emitSeconds * 1000);
  const watcher = watchInbox(fencun, say);

  await new Promise<void>((resolve) => {
    const stop = () => {
      say('\nstopping…');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  clearInterval(watcher);
  await shutdown(sim, fencun);
}

/** Prints one line per inbox event Fencun finishes processing. */
function watchInbox(fencun: RunningFencun, say: (line: string) => void): NodeJS.Timeout {
  const { inbox } = fencun.services;
  let startAfter: number | null = null;
  const printed = new Set<number>();
  return setInterval(() => {
    void inbox.list({ limit: 50 }).then((rows) => {
      // Start after whatever an earlier demo run left in data/demo.sqlite.
      startAfter ??= rows.reduce((m, r) => Math.max(m, r.id), 0);
      const finished = rows.filter((r) => r.id > startAfter! && (r.status === 'done' || r.status === 'dead') && !printed.has(r.id));
      for (const r of finished.reverse()) {
        printed.add(r.id);
        say(`  Fencun ✓ ${r.kind} #${r.id} ${r.status === 'done' ? 'processed' : 'failed: ' + (r.lastError ?? '')}`);
      }
    }, () => undefined);
  }, 1_000);
}

async function shutdown(sim: RunningSimulator, fencun: RunningFencun): Promise<void> {
  sim.emitter.stop();
  await sim.stop();
  await fencun.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`The demo could not start: ${message}\n`);
    process.exit(1);
  },
);
