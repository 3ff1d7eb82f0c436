/**
 * Child process for the callback benchmark: serves Fencun (inbox on the given database) and a
 * bare Koa route that only verifies, decrypts and parses the same payload. Prints their URLs as
 * one JSON line, then waits for SIGTERM.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { startFencun } from '../src/app';
import { readSignedQuery, verifySignature, decryptFor } from '../src/callback/verify';
import { parseWecomXml } from '../src/callback/xml';
import { toWecomEvent, dedupeKey } from '../src/callback/events';
import { loadConfig } from '../src/config';
import { readBody } from '../src/http/read-body';
import { createLogger } from '../src/log';

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  const fencun = await startFencun(config, { log: createLogger('warn'), runJobs: false, runProcessor: false });
  // The bench compares the embedded default (FULL) with what it used to be (NORMAL) in one run.
  const sync = process.env.BENCH_SQLITE_SYNCHRONOUS;
  if (sync && fencun.services.db.dialect === 'sqlite') {
    if (!['NORMAL', 'FULL'].includes(sync)) throw new Error(`BENCH_SQLITE_SYNCHRONOUS must be NORMAL or FULL, not ${sync}`);
    await fencun.services.db.exec(`PRAGMA synchronous = ${sync}`);
  }

  const bare = new Koa();
  bare.use(async (ctx) => {
    const q = readSignedQuery(ctx.query);
    const envelope = parseWecomXml(await readBody(ctx, config.callback.maxBodyBytes));
    const encrypt = envelope.Encrypt as string;
    verifySignature(config.wecom.callbackToken, q, encrypt);
    const fields = parseWecomXml(decryptFor(config.wecom.callbackAesKey, config.wecom.corpId, encrypt));
    toWecomEvent(fields);
    dedupeKey(fields, encrypt);
    ctx.body = '';
  });
  const bareServer = http.createServer(bare.callback());
  await new Promise<void>((r) => bareServer.listen(0, '127.0.0.1', r));
  process.stdout.write(JSON.stringify({ fencun: fencun.url, bare: `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}` }) + '\n');
  process.once('SIGTERM', async () => {
    bareServer.close();
    await fencun.stop();
    process.exit(0);
  });
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});
