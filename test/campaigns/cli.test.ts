import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApp, TestApp } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { DAY, seedCustomers } from '../helpers/seed';
import { TEST_WECOM_ENV } from '../helpers/wecom-callback';

/**
 * The real `fencun campaigns` command in a child process on the test database: create from a
 * file, plan at --now (the plan is a function of that instant: quiet hours at night, admitted
 * by day), status; bad input ends in one sentence and a non-zero exit.
 */
// Each command is a child process compiling TypeScript: slow on a loaded 2-core machine.
jest.setTimeout(300_000);

describe('fencun campaigns CLI', () => {
  let app: TestApp;
  let env: Record<string, string>;
  const NOW = Date.parse('2026-03-02T10:00:00+08:00');

  beforeAll(async () => {
    app = await startTestApp();
    env = { ...TEST_WECOM_ENV, DATABASE_URL: app.database.url };
    await seedCustomers(app.services.db, [
      { id: 'wm-cli-1', rep: 'rep-cli', addedAt: NOW - 30 * DAY, inbound: [NOW - 5 * DAY] },
      { id: 'wm-cli-2', rep: 'rep-cli', addedAt: NOW - 30 * DAY },
    ], NOW);
  });
  afterAll(async () => {
    await app.stop();
  });

  it('should create, plan at --now and show status, with --help on every command', async () => {
    const file = path.join(os.tmpdir(), `campaign-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({
      name: 'CLI', category: 'care', creator: 'ops', audience: { externalUserIds: ['wm-cli-1', 'wm-cli-2'] }, content: { text: '您好' },
      schedule: { start: new Date(NOW).toISOString(), end: new Date(NOW + 3 * DAY).toISOString(), perSenderDailyRate: 10 },
    }));
    const created = await runCli(['campaigns', 'create', file], env);
    expect(created.stderr).toBe('');
    const id = /campaign (\d+) created/.exec(created.stdout)![1];
    const day = await runCli(['campaigns', 'plan', id, '--now', '2026-03-02T10:30:00+08:00', '--json'], env);
    expect(JSON.parse(day.stdout)).toEqual(expect.objectContaining({ audience: 2, admitted: 2, routing: { lastChat: 1, followOwner: 1 } }));
    // At 23:00 every customer is in quiet hours (the fallback tier's 20:00–10:00): deferred to 10:00.
    const night = await runCli(['campaigns', 'plan', id, '--now', '2026-03-02T23:00:00+08:00'], env);
    expect(night.stdout).toContain('0 admitted · 2 deferred (QUIET_HOURS)');
    expect(night.stdout).toContain('最近与客户聊天的成员');
    const status = await runCli(['campaigns', 'status', id], env);
    expect(status.stdout).toContain('draft');
    const cmds = ['create', 'plan', 'approve', 'cancel', 'status', 'remind'];
    const helps = await Promise.all(cmds.map((cmd) => runCli(['campaigns', cmd, '--help'], env)));
    helps.forEach((h, i) => expect(h.stdout).toContain('Usage: fencun campaigns ' + cmds[i]));
    for (const i of [1, 2, 3, 5]) expect(helps[i].stdout).toContain('--now <iso>');
  });

  it('should end bad input with one sentence', async () => {
    const file = path.join(os.tmpdir(), `campaign-bad-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ name: 'x', category: 'care', creator: 'ops', audience: {}, content: {}, schedule: { start: 'soon', end: 'later', perSenderDailyRate: 0 } }));
    const bad = await runCli(['campaigns', 'create', file], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('活动没有创建，请改正后再提交：content 没有内容：text 和 attachments 至少要填一项');
    expect(bad.stderr).toContain('schedule.start 不是有效时间，请写成带时区的 ISO 时间');
    const missing = await runCli(['campaigns', 'plan', '424242', '--now', '2026-03-02T10:00:00+08:00'], env);
    expect(missing.stderr.trim()).toBe('fencun: 没有编号为 424242 的活动，请检查活动编号');
    const badNow = await runCli(['campaigns', 'plan', '1', '--now', 'tomorrow'], env);
    expect(badNow.stderr).toContain('--now must be an ISO time');
  });
});
