import { execFile } from 'node:child_process';
import path from 'node:path';
import type { RunningSimulator } from '../../src/wecom-simulator';
import { openTestDb, OpenDb, startTestSimulator } from '../wecom/support';
import { ledger, ledgerText, outboxRig, textTo } from './support';

/**
 * Invariant: every intent reaches WeCom's ledger exactly once, whatever moment the sending process
 * dies at. The attempt is marked (committed) before the request leaves; a restarted worker that
 * finds the mark resolves it first: message/send again under WeCom's duplicate check, a mass task
 * looked up with get_groupmsg_list_v2, a welcome code that answers 41051 once used.
 * Attack: a child process running the real worker is killed with SIGKILL right after WeCom
 * accepted a send (before the outcome is written), or right after the mark (before the request),
 * once per intent, alternating; each restart comes after the dead claim's lease ran out.
 */
const LEASE_MS = 5_000;
/** Fencun's clock in this test and in every child, and WeCom's: each round moves both forward. */
const T0 = Date.parse('2026-03-02T02:00:00Z');
let simAt = T0;

function runChild(env: Record<string, string>): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'crash-child.ts')], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 60_000,
    }, (_err, stdout, stderr) => resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }));
  });
}

describe('outbox: kill -9 between "WeCom accepted" and "recorded locally"', () => {
  let o: OpenDb;
  let sim: RunningSimulator;

  beforeAll(async () => {
    o = await openTestDb();
    sim = await startTestSimulator({ clock: () => new Date(simAt) });
  });
  afterAll(async () => {
    await sim.stop();
    await o.close();
  });

  it('after restarts, zero duplicates in the ledger and every intent recorded as sent', async () => {
    const [repA, repB] = sim.admin.reps().map((r) => r.userId);
    const customersA = [...sim.state.followsByUser.get(repA)!.keys()].slice(0, 2);
    const customersB = [...sim.state.followsByUser.get(repB)!.keys()].slice(0, 2);
    const { service } = outboxRig(o.db, sim, { clock: () => new Date(T0) });
    const now = T0;
    const { externalUserId, welcomeCode } = sim.admin.addContact({ userId: repA, welcome: true });
    const intents = [
      (await service.enqueueNow({ kind: 'welcome', welcomeCode: welcomeCode!, userId: repA, externalUserId, text: '欢迎您', key: 'crash-welcome', dueAt: now - 100, origin: 'test' })).intent,
      ...(await Promise.all([0, 1, 2, 3].map((n) => service.enqueueNow(textTo(n % 2 ? repB : repA, `crash-test app #${n}`, `crash-app-${n}`, now - 90 + n))))).map((r) => r.intent),
      (await service.enqueueNow({ kind: 'mass_task', chatType: 'single', sender: repA, externalUserIds: customersA, text: 'crash-test mass A', key: 'crash-mass-a', dueAt: now - 80, origin: 'test' })).intent,
      (await service.enqueueNow({ kind: 'mass_task', chatType: 'single', sender: repB, externalUserIds: customersB, text: 'crash-test mass B', key: 'crash-mass-b', dueAt: now - 79, origin: 'test' })).intent,
    ];
    const base = { DATABASE_URL: o.database.url, SIM_URL: sim.url, LEASE_MS: String(LEASE_MS), CLOCK_START_MS: String(T0) };
    let crashes = 0;
    for (let round = 0; round < intents.length; round++) {
      simAt = T0 + round * (LEASE_MS + 1_000);
      const r = await runChild({ ...base, CRASH_AT: round % 2 ? 'afterMark' : 'afterSend', CLOCK_OFFSET_MS: String(round * (LEASE_MS + 1_000)) });
      if (r.signal === 'SIGKILL') crashes++;
      else expect(r).toEqual(expect.objectContaining({ code: 0 }));
    }
    simAt = T0 + intents.length * (LEASE_MS + 1_000);
    const last = await runChild({ ...base, CLOCK_OFFSET_MS: String(intents.length * (LEASE_MS + 1_000)) });
    expect(last.stderr).toBe('');
    expect(last.stdout).toContain('drained');
    expect(crashes).toBe(intents.length);

    const stored = await Promise.all(intents.map((i) => service.get(i.id)));
    expect(stored.map((i) => i!.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'awaiting', 'awaiting']);
    const apps = await ledger(sim, 'app_message');
    for (let n = 0; n < 4; n++) expect(apps.filter((r) => ledgerText(r) === `crash-test app #${n}`)).toHaveLength(1);
    const masses = await ledger(sim, 'mass_task');
    for (const text of ['crash-test mass A', 'crash-test mass B']) {
      const rows = masses.filter((r) => (r.content as { text?: string }).text === text);
      expect(rows).toHaveLength(1);
      expect(stored.find((i) => i!.key === (text.endsWith('A') ? 'crash-mass-a' : 'crash-mass-b'))!.wecomMsgId).toBe(rows[0].ref);
    }
    expect((await ledger(sim, 'welcome')).filter((r) => r.ref === welcomeCode)).toHaveLength(1);
    // The figures for the closing note.
    process.stdout.write(`outbox crash test: ${intents.length} intents, ${crashes} kill -9, duplicates 0\n`);
  }, 300_000);
});
