import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServices } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { migrateWithLock } from '../../src/db/migrate';
import { migrations } from '../../src/db/migrations';
import { createHttpApp } from '../../src/http/server';
import type { Job } from '../../src/jobs/job';
import { JobRunner } from '../../src/jobs/runner';
import { startTestApp } from '../helpers/app';
import { createTestDatabase, TEST_DB } from '../helpers/db';
import { captureLog } from '../helpers/logs';
import { startTcpProxy } from '../helpers/tcp-proxy';
import { postCallback, signedPost, TEST_WECOM_ENV } from '../helpers/wecom-callback';

describe('operations', () => {
  it('should apply migrations exactly once when three instances start at the same time', async () => {
    const database = await createTestDatabase();
    const { log } = captureLog();
    const sources = [1, 2, 3].map(() => createDataSource(loadConfig({ ...TEST_WECOM_ENV, DATABASE_URL: database.url }).database));
    try {
      await Promise.all(sources.map((ds) => ds.initialize()));
      const applied = await Promise.all(sources.map((ds) => migrateWithLock(ds, log)));
      expect(applied.flat().sort()).toEqual(migrations.map((m) => new m().name ?? m.name).sort());
      const rows = await sources[0].query('SELECT name FROM migrations');
      expect(rows).toHaveLength(migrations.length);
    } finally {
      await Promise.all(sources.map((ds) => (ds.isInitialized ? ds.destroy() : undefined)));
      await database.drop();
    }
  });

  it('should report unready while migrations are pending', async () => {
    const database = await createTestDatabase();
    const config = loadConfig({ ...TEST_WECOM_ENV, DATABASE_URL: database.url });
    const services = await createServices(config, { log: captureLog().log });
    const server = http.createServer(createHttpApp(services).callback());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await fetch(url + '/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unready', reason: 'migrations pending: run npx fencun migrate' });
      await migrateWithLock(services.db.ds, services.log);
      expect((await fetch(url + '/readyz')).status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
      await services.db.ds.destroy();
      await database.drop();
    }
  });

  it('should turn unready when the database becomes unreachable, and ready again when it returns', async () => {
    if (TEST_DB === 'mariadb') {
      const proxy = await startTcpProxy('127.0.0.1', 3306);
      const database = await createTestDatabase();
      const app = await startTestApp({ capabilities: false, database, env: { DATABASE_URL: database.url.replace(':3306/', `:${proxy.port}/`) } });
      try {
        expect((await fetch(app.url + '/readyz')).status).toBe(200);
        proxy.cut();
        const down = await fetch(app.url + '/readyz');
        expect(down.status).toBe(503);
        expect((await down.json()).reason).toMatch(/^database unreachable/);
        expect((await fetch(app.url + '/healthz')).status).toBe(200);
        // A callback arriving now is refused with 503 so WeCom retries it: nothing is lost.
        const cb = signedPost('<xml><MsgType>text</MsgType><Content>x</Content><MsgId>5150</MsgId><FromUserName>u</FromUserName><CreateTime>1</CreateTime></xml>');
        expect((await postCallback(app.url, cb)).status).toBe(503);
        expect(app.logs.find('database unavailable').length).toBe(1);
        proxy.restore();
        let ready = 503;
        for (let i = 0; i < 50 && ready !== 200; i++) {
          ready = (await fetch(app.url + '/readyz')).status;
          if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        expect(ready).toBe(200);
        expect((await postCallback(app.url, cb)).status).toBe(200);
        expect(await app.services.inbox.findByDedupeKey('msg:5150')).not.toBeNull();
      } finally {
        await app.stop();
        await database.drop();
        await proxy.close();
      }
    } else {
      const app = await startTestApp({ capabilities: false });
      try {
        expect((await fetch(app.url + '/readyz')).status).toBe(200);
        // The embedded database's handle is lost (disk gone, file closed underneath us).
        (app.services.db.ds.driver as unknown as { databaseConnection: { close(): void } }).databaseConnection.close();
        const down = await fetch(app.url + '/readyz');
        expect(down.status).toBe(503);
        expect((await down.json()).reason).toMatch(/^database unreachable/);
        expect((await fetch(app.url + '/healthz')).status).toBe(200);
      } finally {
        await app.stop().catch(() => undefined);
        await app.database.drop();
      }
    }
  });

  it('should run a scheduled slot on only one of several instances', async () => {
    const database = await createTestDatabase();
    const apps = await Promise.all([1, 2, 3].map(() => startTestApp({ capabilities: false, database })));
    try {
      let runs = 0;
      const job: Job = { name: 'count-runs', description: 'test', schedule: '* * * * *', run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 20));
        return { runs };
      } };
      const slot = new Date('2026-03-02T01:00:00Z');
      const results = await Promise.all(apps.map((a) => new JobRunner(a.services, [job]).runSlot(job, slot)));
      expect(runs).toBe(1);
      expect(results.filter((r) => r !== null)).toEqual([{ runs: 1 }]);
      const rows = await apps[0].services.db.query<{ status: string; summary: string }>('SELECT status, summary FROM job_runs WHERE job = ?', ['count-runs']);
      expect(rows).toEqual([{ status: 'done', summary: '{"runs":1}' }]);
    } finally {
      for (const a of apps) await a.stop();
      await database.drop();
    }
  });

  it('should finish an in-flight request when shutting down, then refuse new connections', async () => {
    const app = await startTestApp({ capabilities: false });
    const slow = new Promise<number>((resolve) => {
      // Send the request head now and the body later, so the request is in flight during shutdown.
      const cb = signedPost('<xml><MsgType>text</MsgType><Content>late</Content><MsgId>6160</MsgId><FromUserName>u</FromUserName><CreateTime>1</CreateTime></xml>');
      const req = http.request(app.url + cb.path, { method: 'POST', headers: { 'Content-Length': Buffer.byteLength(cb.body) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.write(cb.body.slice(0, 10));
      setTimeout(() => req.end(cb.body.slice(10)), 150);
    });
    await new Promise((r) => setTimeout(r, 50));
    const [status] = await Promise.all([slow, app.running.stop()]);
    expect(status).toBe(200);
    expect(app.logs.find('shut down cleanly')).toHaveLength(1);
    await expect(fetch(app.url + '/healthz')).rejects.toThrow();
    await app.database.drop();
  });
});
