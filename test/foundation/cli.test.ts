import { startTestApp, TestApp } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { createTestDatabase } from '../helpers/db';
import { postCallback, signedPost, TEST_WECOM_ENV } from '../helpers/wecom-callback';

// Each case starts the real command in a child process (tsx compiles the sources on first load):
// a few seconds each when idle, far more on a loaded two-core machine, so these get room.
jest.setTimeout(180_000);

describe('fencun CLI', () => {
  it.each([[[]], [['migrate']], [['inbox']], [['inbox', 'list']], [['inbox', 'retry']], [['jobs']], [['jobs', 'run']], [['jobs', 'list']], [['jobs', 'runs']], [['churn-risk']]])(
    'should print help for %j', async (args) => {
      const r = await runCli([...args, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: fencun/);
    });

  it('should apply migrations and say so, then find nothing to do', async () => {
    const database = await createTestDatabase();
    try {
      const first = await runCli(['migrate'], { DATABASE_URL: database.url });
      expect(first.stdout).toMatch(/^Applied \d+ migration\(s\): Foundation1764000000001/);
      const second = await runCli(['migrate'], { DATABASE_URL: database.url });
      expect(second).toMatchObject({ code: 0, stdout: 'Database schema is up to date.\n' });
    } finally {
      await database.drop();
    }
  });

  it('should name the missing WeCom settings when a job needs them', async () => {
    const r = await runCli(['jobs', 'run', 'inbox-prune'], { DATABASE_URL: 'sqlite:/tmp/fencun-cli-unused.sqlite' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('WECOM_CORP_ID is required');
    expect(r.stderr).toContain('WECOM_CALLBACK_AES_KEY is required');
  });

  it('should reject an unknown job and a malformed --now', async () => {
    const env = { ...TEST_WECOM_ENV, DATABASE_URL: 'sqlite:/tmp/fencun-cli-unused.sqlite' };
    expect((await runCli(['jobs', 'run', 'no-such-job'], env)).stderr).toMatch(/unknown job "no-such-job"; known jobs: .*inbox-prune/);
    expect((await runCli(['jobs', 'run', 'inbox-prune', '--now', 'yesterday'], env)).stderr).toContain('--now must be an ISO time');
  });

  describe('with a dead event in the inbox', () => {
    let app: TestApp;
    let deadId: number;
    beforeAll(async () => {
      app = await startTestApp({ capabilities: false, processor: { maxAttempts: 1 } });
      app.services.handlers.on('app_message', async () => {
        throw new Error('downstream refused the message');
      });
      await postCallback(app.url, signedPost('<xml><MsgType>text</MsgType><Content>hi</Content><MsgId>424242</MsgId><FromUserName>lisi</FromUserName><CreateTime>1700000000</CreateTime></xml>'));
      await app.services.processor.drain();
      deadId = (await app.services.inbox.findByDedupeKey('msg:424242'))!.id;
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('should list dead events with their error and how to retry', async () => {
      const r = await runCli(['inbox', 'list', '--dead'], { DATABASE_URL: app.database.url });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`#${deadId} .* dead +app_message +attempts=1 +error: downstream refused the message`));
      expect(r.stdout).toContain('npx fencun inbox retry <id>');
    });

    it('should requeue a dead event, and refuse ids that are not dead', async () => {
      const r = await runCli(['inbox', 'retry', String(deadId)], { DATABASE_URL: app.database.url });
      expect(r).toMatchObject({ code: 0, stdout: `Event ${deadId} (app_message) is queued again; a running Fencun will process it shortly.\n` });
      expect((await app.services.inbox.get(deadId))!.status).toBe('pending');
      const again = await runCli(['inbox', 'retry', String(deadId)], { DATABASE_URL: app.database.url });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`event ${deadId} is pending, not dead`);
      expect((await runCli(['inbox', 'retry', 'abc'], { DATABASE_URL: app.database.url })).stderr).toContain('id must be an inbox event id');
    });

    it('should run a job once with --now and print its summary', async () => {
      const r = await runCli(['jobs', 'run', 'inbox-prune', '--now', '2030-01-01T00:00:00+08:00'], { ...TEST_WECOM_ENV, DATABASE_URL: app.database.url });
      expect(r.stderr).toBe('');
      expect(r).toMatchObject({ code: 0 });
      expect(r.stdout).toMatch(/^inbox-prune finished: removed=\d+\n$/);
    });
  });
});
