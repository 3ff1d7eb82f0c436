import type { Job, JobContext } from '../../src/jobs/job';
import { JobRunRepository, JobRunRow } from '../../src/jobs/repository';
import { JobRunner, JobRunnerOptions } from '../../src/jobs/runner';
import { startTestApp, TestApp } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { manualClock, ManualClock } from '../helpers/clock';
import { createTestDatabase, TestDatabase } from '../helpers/db';

/**
 * Job slots under adversarial timing. Every runner reads one hand-moved clock and is ticked
 * explicitly; a job "hangs" or a run "crashes" by awaiting a promise the test resolves.
 *
 * Invariants attacked:
 * - one run per (job, slot), however many instances tick at the same moment;
 * - a running row whose heartbeat is stale is taken over by exactly one other instance, and the
 *   presumed-dead owner, should it finish later, records nothing;
 * - a catch-up job runs its latest slot missed during downtime once; other jobs do not;
 * - a tick that arrives late still runs the slot it owes;
 * - an error while claiming is logged, and the slot is claimed again on the next tick.
 */

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** A job that records each run (which instance, which `now`) and can be held open. */
function recordingJob(name: string, schedule: string, o: { catchUp?: boolean; hold?: Gate } = {}) {
  const runs: { instance: string; now: string }[] = [];
  const job: Job = {
    name, description: 'test', schedule, catchUp: o.catchUp,
    async run(ctx: JobContext) {
      runs.push({ instance: ctx.services.config.instanceId, now: ctx.now.toISOString() });
      if (o.hold) await o.hold.promise;
      return { runs: runs.length };
    },
  };
  return { job, runs };
}

async function rowsOf(app: TestApp, job: string): Promise<JobRunRow[]> {
  return (await new JobRunRepository(app.services.db).list({ job, limit: 100 })).reverse();
}

describe('job slots', () => {
  let database: TestDatabase;
  let clock: ManualClock;
  let apps: TestApp[];
  const runners: JobRunner[] = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    clock = manualClock('2026-03-02T09:59:50+08:00');
    apps = [];
    for (const id of ['a', 'b', 'c']) {
      apps.push(await startTestApp({ capabilities: false, database, clock, env: { FENCUN_INSTANCE_ID: `instance-${id}` } }));
    }
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    for (const a of apps) await a.stop();
    await database.drop();
  });

  const runner = (app: TestApp, jobs: Job[], o: Partial<JobRunnerOptions> = {}) => {
    const r = new JobRunner(app.services, jobs, o);
    runners.push(r);
    return r;
  };

  it('should run a slot on exactly one of two runners that claim it at the same moment', async () => {
    const hold = gate();
    const { job, runs } = recordingJob('every-minute', '* * * * *', { hold });
    const [a, b] = [runner(apps[0], [job]), runner(apps[1], [job])];
    await Promise.all([a.tick(), b.tick()]); // start-up at 09:59:50: nothing owed yet
    clock.set('2026-03-02T10:00:00+08:00');
    await Promise.all([a.tick(), b.tick()]);
    // The winner's run is still in flight (held): the loser must not have run it meanwhile.
    await Promise.all([a.tick(), b.tick()]);
    expect(runs).toHaveLength(1);
    hold.open();
    await Promise.all([a.idle(), b.idle()]);
    expect(runs).toEqual([{ instance: expect.stringMatching(/^instance-[ab]$/), now: '2026-03-02T02:00:00.000Z' }]);
    const rows = await rowsOf(apps[0], 'every-minute');
    expect(rows.map((r) => [r.slot, r.status, r.attempt, r.summary])).toEqual([['2026-03-02T02:00', 'done', 1, '{"runs":1}']]);
  });

  it('should let exactly one of two other runners take over a run whose instance stopped heartbeating, once', async () => {
    const crashed = gate();
    const dead = recordingJob('hourly', '0 * * * *', { hold: crashed });
    const alive = recordingJob('hourly', '0 * * * *');
    // A's heartbeat timer never fires within the test: its process is, in effect, gone.
    const a = runner(apps[0], [dead.job], { heartbeatMs: 3_600_000, staleAfterMs: 7_200_000 });
    const [b, c] = [apps[1], apps[2]].map((app) => runner(app, [alive.job], { heartbeatMs: 5_000, staleAfterMs: 60_000 }));
    await Promise.all([a.tick(), b.tick(), c.tick()]);
    clock.set('2026-03-02T10:00:01+08:00');
    await a.tick();
    expect(dead.runs).toHaveLength(1);

    // 59 s without a heartbeat: not yet stale.
    clock.set('2026-03-02T10:01:00+08:00');
    await Promise.all([b.tick(), c.tick()]);
    expect(alive.runs).toHaveLength(0);

    // 61 s: stale. Both survivors see it at the same moment; exactly one takes it over.
    clock.set('2026-03-02T10:01:02+08:00');
    await Promise.all([b.tick(), c.tick()]);
    await Promise.all([b.idle(), c.idle()]);
    expect(alive.runs).toEqual([{ instance: expect.stringMatching(/^instance-[bc]$/), now: '2026-03-02T02:00:00.000Z' }]);
    const [row] = await rowsOf(apps[0], 'hourly');
    expect(row).toMatchObject({ slot: '2026-03-02T02:00', status: 'done', attempt: 2, instanceId: alive.runs[0].instance, summary: '{"runs":1}' });
    const taker = apps.find((app) => app.services.config.instanceId === alive.runs[0].instance)!;
    expect(taker.logs.find('taking over the run of 2026-03-02T02:00')).toHaveLength(1);

    // Much later, both tick again: the slot is done, nobody runs it a third time.
    clock.set('2026-03-02T10:30:00+08:00');
    await Promise.all([b.tick(), c.tick()]);
    await Promise.all([b.idle(), c.idle()]);
    expect(alive.runs).toHaveLength(1);

    // The presumed-dead owner wakes up and finishes: it must not overwrite the taker's outcome.
    crashed.open();
    await a.idle();
    expect(await rowsOf(apps[0], 'hourly')).toEqual([row]);
    expect(apps[0].logs.find('another instance took the run over; its outcome is not recorded')).toHaveLength(1);
  });

  it('should not take over a run whose owner keeps heartbeating, however long it runs', async () => {
    const hold = gate();
    const long = recordingJob('hourly', '0 * * * *', { hold });
    const other = recordingJob('hourly', '0 * * * *');
    const a = runner(apps[0], [long.job], { heartbeatMs: 3_600_000, staleAfterMs: 7_200_000 });
    const b = runner(apps[1], [other.job], { heartbeatMs: 5_000, staleAfterMs: 60_000 });
    await Promise.all([a.tick(), b.tick()]);
    clock.set('2026-03-02T10:00:01+08:00');
    await a.tick();
    for (let i = 0; i < 5; i++) {
      clock.advance(50_000);
      await a.heartbeat(); // what A's timer does every heartbeatMs
      await b.tick();
    }
    expect(other.runs).toHaveLength(0); // 250 s in, never more than 50 s since a beat
    hold.open();
    await a.idle();
    const [row] = await rowsOf(apps[0], 'hourly');
    expect(row).toMatchObject({ status: 'done', attempt: 1, instanceId: 'instance-a' });
  });

  it('should park a slot as failed when every attempt dies, instead of retrying it forever', async () => {
    const never = gate();
    const poison = recordingJob('daily', '0 10 * * *', { hold: never });
    const o = { heartbeatMs: 3_600_000, staleAfterMs: 7_200_000, maxAttempts: 2 };
    const [a, b, c] = apps.map((app) => runner(app, [poison.job], o));
    try {
      await Promise.all([a.tick(), b.tick(), c.tick()]);
      clock.set('2026-03-02T10:00:01+08:00');
      await a.tick(); // attempt 1 hangs on A
      clock.advance(7_200_001);
      await Promise.all([b.tick(), c.tick()]); // attempt 2 taken over by B or C, hangs too
      clock.advance(7_200_001);
      await Promise.all([a.tick(), b.tick(), c.tick()]); // out of attempts: parked, not run a third time
      expect(poison.runs).toHaveLength(2);
      expect(poison.runs.every((r) => r.now === '2026-03-02T02:00:00.000Z')).toBe(true);
      const [row] = await rowsOf(apps[0], 'daily');
      expect(row).toMatchObject({ status: 'failed', attempt: 2, error: expect.stringContaining('abandoned after 2 attempts') });
      expect(apps.flatMap((app) => app.logs.find('abandoned after 2 attempts'))).toHaveLength(1);
    } finally {
      never.open();
    }
  });

  it('should run the latest slot missed during downtime once for a catch-up job, and not for a job without catch-up', async () => {
    const daily = recordingJob('daily-catch-up', '0 9 * * *', { catchUp: true });
    const plain = recordingJob('daily-plain', '0 9 * * *');
    // Every instance was down from 2026-03-02 08:00 to 2026-03-05 11:00: three 09:00 slots passed.
    clock.set('2026-03-05T11:00:00+08:00');
    const a = runner(apps[0], [daily.job, plain.job]);
    await a.tick();
    await a.idle();
    expect(daily.runs).toEqual([{ instance: 'instance-a', now: '2026-03-05T01:00:00.000Z' }]);
    expect(plain.runs).toEqual([]);
    expect(apps[0].logs.find('running the slot missed while no instance was running')).toHaveLength(1);

    // A second instance starting a little later, and the first ticking again: nothing more.
    clock.set('2026-03-05T11:05:00+08:00');
    const b = runner(apps[1], [daily.job, plain.job]);
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.idle(), b.idle()]);
    expect(daily.runs).toHaveLength(1);

    // The next slot runs for both jobs, once.
    clock.set('2026-03-06T09:00:00+08:00');
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.idle(), b.idle()]);
    expect(daily.runs.map((r) => r.now)).toEqual(['2026-03-05T01:00:00.000Z', '2026-03-06T01:00:00.000Z']);
    expect(plain.runs.map((r) => r.now)).toEqual(['2026-03-06T01:00:00.000Z']);
  });

  it('should still run a slot when the tick arrives 5 s late', async () => {
    const { job, runs } = recordingJob('every-minute', '* * * * *');
    const a = runner(apps[0], [job]);
    clock.set('2026-03-02T10:00:30+08:00');
    await a.tick();
    // The event loop was blocked: the tick meant for 10:01:00 comes at 10:01:05.
    clock.set('2026-03-02T10:01:05+08:00');
    await a.tick();
    await a.idle();
    expect(runs).toEqual([{ instance: 'instance-a', now: '2026-03-02T02:01:00.000Z' }]);
    // A tick late by more than a whole period runs the latest slot owed, once.
    clock.set('2026-03-02T10:03:10+08:00');
    await a.tick();
    await a.tick();
    await a.idle();
    expect(runs.map((r) => r.now)).toEqual(['2026-03-02T02:01:00.000Z', '2026-03-02T02:03:00.000Z']);
  });

  it('should log an error when a slot cannot be claimed, and claim it on the next tick', async () => {
    const { job, runs } = recordingJob('every-minute', '* * * * *');
    const a = runner(apps[0], [job]);
    await a.tick();
    await apps[0].services.db.exec('ALTER TABLE job_runs RENAME TO job_runs_away');
    try {
      clock.set('2026-03-02T10:00:00+08:00');
      await a.tick();
    } finally {
      await apps[0].services.db.exec('ALTER TABLE job_runs_away RENAME TO job_runs');
    }
    const lines = apps[0].logs.find('could not claim job slot every-minute 2026-03-02T02:00');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, job: 'every-minute', slot: '2026-03-02T02:00', err: expect.stringMatching(/job_runs/) });
    expect(runs).toHaveLength(0);
    clock.set('2026-03-02T10:00:20+08:00');
    await a.tick();
    await a.idle();
    expect(runs).toEqual([{ instance: 'instance-a', now: '2026-03-02T02:00:00.000Z' }]);
  });

  it('should list runs with slot, instance, status, duration and summary from the CLI', async () => {
    let fail = false;
    const flaky: Job = {
      name: 'inbox-prune', description: 'test', schedule: '* * * * *',
      async run() {
        clock.advance(1_500);
        if (fail) throw new Error('disk full');
        return { removed: 3 };
      },
    };
    const a = runner(apps[0], [flaky]);
    await a.tick();
    clock.set('2026-03-02T10:00:00+08:00');
    await a.tick();
    await a.idle();
    fail = true;
    clock.set('2026-03-02T10:01:00+08:00');
    await a.tick();
    await a.idle();
    const env = { DATABASE_URL: database.url };
    // Each CLI call is a fresh process (seconds to start on a loaded machine): two at a time.
    const [all, one] = await Promise.all([runCli(['jobs', 'runs'], env), runCli(['jobs', 'runs', '--job', 'inbox-prune', '--limit', '1'], env)]);
    const [unknown, help] = await Promise.all([runCli(['jobs', 'runs', '--job', 'nope', '--limit', '0'], env), runCli(['jobs', 'runs', '--help'])]);
    expect(all.stderr).toBe('');
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SLOT +JOB +INSTANCE +STATUS +DURATION +SUMMARY$/);
    expect(lines[1]).toMatch(/^2026-03-02T02:01Z +inbox-prune +instance-a +failed +1\.5 s +error: disk full$/);
    expect(lines[2]).toMatch(/^2026-03-02T02:00Z +inbox-prune +instance-a +done +1\.5 s +removed=3$/);
    expect(lines).toHaveLength(3);
    expect(one.stdout.trim().split('\n')).toEqual([lines[0], lines[1]]);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown job "nope"; known jobs: .*inbox-prune/) });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: fencun jobs runs \[options\]/);
    expect(help.stdout).toContain('--job <name>');
    expect(help.stdout).toContain('--limit <n>');
  }, 180_000);
});
