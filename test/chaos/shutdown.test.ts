import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../../bench/chaos/mariadb';
import { parseDatabaseUrl } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { Database } from '../../src/db/database';
import { enqueue } from '../../src/outbox/service';
import type { NewIntent } from '../../src/outbox/types';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { createTestDatabase, TestDatabase } from '../helpers/db';
import { TEST_WECOM_ENV } from '../helpers/wecom-callback';
import { ledger, ledgerText } from '../outbox/support';
import { startTestSimulator } from '../wecom/support';

/**
 * Invariant: SIGTERM while a send is in flight stops every loop claiming at once, lets the send
 * finish and be recorded, releases nothing half-done, and exits 0 before main.ts's deadline; what
 * was not started waits in the database for the next instance, and after a restart every intent
 * is in WeCom's ledger exactly once.
 * Attack: the real `src/main.ts` in a child process; the simulator holds message/send's answer
 * after delivering it (a latency fault released by the test), and the child gets SIGTERM while it
 * waits for that answer; a second intent is enqueued while it is shutting down.
 */
const REPO = path.resolve(__dirname, '..', '..');
/** The intents' created and due time: fixed, and in the past for the instance (which runs on its own clock), so due at once. */
const ENQUEUED_AT = Date.parse('2026-03-02T01:00:00Z');

interface Child {
  process: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(msg: string): Promise<void>;
}

function startFencun(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
    cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { msg: string; resolve(): void }[] = [];
  const seen = new Set<string>();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    let msg: string | undefined;
    try {
      msg = (JSON.parse(line) as { msg?: string }).msg;
    } catch {
      return;
    }
    if (!msg) return;
    seen.add(msg);
    for (const w of waiters.filter((x) => msg!.startsWith(x.msg))) w.resolve();
  });
  child.stderr!.on('data', (d: Buffer) => lines.push(`stderr: ${d.toString()}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    process: child, lines, exited,
    waitFor: (msg) => ([...seen].some((m) => m.startsWith(msg)) ? Promise.resolve() : Promise.race([
      new Promise<void>((resolve) => waiters.push({ msg, resolve })),
      exited.then(({ code, signal }) => {
        throw new Error(`Fencun exited (code ${code}, signal ${signal}) before logging "${msg}":\n${lines.join('\n')}`);
      }),
    ])),
  };
}

describe('graceful shutdown: SIGTERM while sending', () => {
  let database: TestDatabase;
  let sim: RunningSimulator;
  let db: Database | null = null;
  const children: Child[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startTestSimulator();
  });

  afterAll(async () => {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await db?.ds.destroy();
    await sim.stop();
    await database.drop();
  });

  it('should finish the send in flight, claim nothing new, exit 0, and leave the rest to the restart: each message once', async () => {
    const env = {
      ...TEST_WECOM_ENV, DATABASE_URL: database.url, WECOM_API_BASE: sim.url, HOST: '127.0.0.1', LOG_LEVEL: 'info',
      FENCUN_SESSION_SECRET: 'shutdown-test-session-secret-0123', FENCUN_INSTANCE_ID: 'shutdown-a',
    };
    const first = startFencun({ ...env, PORT: String(await freePort()) });
    children.push(first);
    await first.waitFor('Fencun is serving'); // migrated

    const ds = createDataSource(parseDatabaseUrl(database.url)!);
    await ds.initialize();
    db = new Database(ds);
    const [rep] = sim.admin.reps().map((r) => r.userId);
    const intent = (n: number): NewIntent => ({
      kind: 'app_message', toUser: rep, message: { msgtype: 'text', text: { content: `shutdown test #${n}` } }, key: `shutdown:${n}`, dueAt: ENQUEUED_AT, origin: 'test',
    });
    // WeCom delivers the message, then holds its answer until the test lets it go.
    sim.admin.injectFault({ endpoint: 'message/send', kind: 'latency', latencyMs: 120_000, afterAction: true, count: 1 });
    const sending = sim.admin.whenHeld('message/send', 1);
    await db.transaction((tx) => enqueue(tx, intent(1)));
    await sending;

    first.process.kill('SIGTERM');
    await first.waitFor('shutting down');
    await db.transaction((tx) => enqueue(tx, intent(2)));
    // Let the stopping instance's loops come round a few times (idle poll 500 ms): a loop still
    // claiming would take intent 2 now. A correct one passes however long this is.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(sim.admin.releaseHeld()).toBe(1);

    const exit = await first.exited;
    expect({ exit, lines: exit.code === 0 ? [] : first.lines }).toEqual({ exit: { code: 0, signal: null }, lines: [] });
    expect(first.lines.some((l) => l.includes('shut down cleanly'))).toBe(true);
    const rows = await db.query<{ idem_key: string; status: string; attempts: unknown; lease_token: string | null; lease_owner: string | null }>(
      `SELECT idem_key, status, attempts, lease_token, lease_owner FROM outbox_intents WHERE origin = 'test' ORDER BY id`);
    expect(rows.map((r) => ({ ...r, attempts: Number(r.attempts) }))).toEqual([
      { idem_key: 'shutdown:1', status: 'sent', attempts: 1, lease_token: null, lease_owner: null },
      { idem_key: 'shutdown:2', status: 'pending', attempts: 0, lease_token: null, lease_owner: null },
    ]);

    // The restart sends what was left, once; its own SIGTERM with nothing in flight is quick and clean.
    const second = startFencun({ ...env, PORT: String(await freePort()), FENCUN_INSTANCE_ID: 'shutdown-b' });
    children.push(second);
    await second.waitFor('Fencun is serving');
    for (let tries = 0; ; tries++) {
      const [r] = await db.query<{ status: string }>(`SELECT status FROM outbox_intents WHERE idem_key = 'shutdown:2'`);
      if (r.status === 'sent') break;
      if (tries > 600) throw new Error(`intent 2 still ${r.status} after a minute:\n${second.lines.join('\n')}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    second.process.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });

    const sent = (await ledger(sim, 'app_message')).map(ledgerText).filter((t) => t.startsWith('shutdown test'));
    expect(sent.sort()).toEqual(['shutdown test #1', 'shutdown test #2']);
    const [leases] = await db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM outbox_intents WHERE lease_token IS NOT NULL`);
    expect(Number(leases.n)).toBe(0);
  }, 240_000);
});
