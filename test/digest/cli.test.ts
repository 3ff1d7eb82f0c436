import { digestFor } from '../../src/digest/compute';
import { digestServiceOf } from '../../src/digest/job';
import { digestMarkdown } from '../../src/digest/message';
import { startTestApp, type TestApp } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { manualClock } from '../helpers/clock';
import { TEST_WECOM_ENV } from '../helpers/wecom-callback';
import { DATE, NOW, seedBook, seedOrg } from './world';

/**
 * The real `fencun digest preview` in a child process on the test database: it prints exactly
 * the message the job would enqueue for that supervisor, day and instant, and writes nothing;
 * an unknown supervisor or a bad date ends in one sentence and a non-zero exit.
 */
// Each command is a child process compiling TypeScript: slow on a loaded 2-core machine.
jest.setTimeout(300_000);

describe('fencun digest preview', () => {
  let app: TestApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    app = await startTestApp({ clock: manualClock(NOW) });
    env = { ...TEST_WECOM_ENV, DATABASE_URL: app.database.url, FENCUN_TIMEZONE: 'Asia/Shanghai', PUBLIC_BASE_URL: 'https://scrm.example.com' };
    await seedOrg(app.services.db);
    await seedBook(app.services.db);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('should print the exact message of the day before --now (and of --date), send nothing, and explain itself with --help', async () => {
    const [byNow, byDate, help, group] = await Promise.all([
      runCli(['digest', 'preview', '--supervisor', 'lead3', '--now', NOW.toISOString()], env),
      runCli(['digest', 'preview', '--supervisor', 'lead4', '--date', '2026-01-10', '--now', NOW.toISOString()], env),
      runCli(['digest', 'preview', '--help'], env),
      runCli(['digest', '--help'], env),
    ]);
    const svc = digestServiceOf(app.services);
    // What the job enqueues: one read for everyone, the team's digest, the message at the configured public URL.
    const all = await svc.books(DATE, NOW.getTime(), null);
    const expected = digestMarkdown(digestFor((await svc.supervisionOf('lead3'))!, all.books, DATE, all.known),
      { pageUrl: 'https://scrm.example.com/digest/?date=2026-03-02', listLength: app.services.judgement.policy.digest.listLength });
    expect(byNow.stderr).toBe('');
    expect(byNow.code).toBe(0);
    expect(byNow.stdout).toBe(expected + '\n');
    expect(byNow.stdout).toContain('### 3月2日团队客户日报');
    expect(byNow.stdout).toContain('王芳（备注：王姐-VIP）');
    expect(byNow.stdout).toContain('[查看图表和明细](https://scrm.example.com/digest/?date=2026-03-02)');
    // 二组 on a day nothing happened: the short message.
    expect(byDate.stdout.trim().split('\n')).toHaveLength(3);
    expect(byDate.stdout).toContain('### 1月10日团队客户日报');
    expect(byDate.stdout).toContain('昨天团队客户平稳');
    const [{ n }] = await app.services.db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM outbox_intents WHERE origin = 'digest'");
    expect(Number(n)).toBe(0);
    expect(help.stdout).toContain('Usage: fencun digest preview');
    for (const o of ['--supervisor <userid>', '--date <YYYY-MM-DD>', '--now <iso>', 'docs/KPIS.md']) expect(help.stdout).toContain(o);
    expect(group.stdout).toContain('preview');
  });

  it('should end an unknown supervisor, a missing one and a bad date or --now in one sentence', async () => {
    const [rep, missing, badDate, badNow] = await Promise.all([
      runCli(['digest', 'preview', '--supervisor', 'rep_a', '--now', NOW.toISOString()], env),
      runCli(['digest', 'preview'], env),
      runCli(['digest', 'preview', '--supervisor', 'lead3', '--date', '2026-02-30'], env),
      runCli(['digest', 'preview', '--supervisor', 'lead3', '--now', 'tomorrow'], env),
    ]);
    expect(rep.code).not.toBe(0);
    expect(rep.stdout).toBe('');
    expect(rep.stderr).toContain('fencun: "rep_a" supervises nobody');
    expect(rep.stderr).toContain('Supervisors now: boss, lead2, lead3, lead4');
    expect(rep.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("required option '--supervisor <userid>' not specified");
    expect(badDate.code).not.toBe(0);
    expect(badDate.stderr).toContain('--date must be a date such as 2026-03-02 (got "2026-02-30")');
    expect(badNow.code).not.toBe(0);
    expect(badNow.stderr).toContain('--now must be an ISO time');
  });
});
