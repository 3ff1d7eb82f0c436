import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { encrypt, getSignature } from '@wecom/crypto';
import { createTestDatabase, TestDatabase } from '../test/helpers/db';
import { TEST_WECOM, TEST_WECOM_ENV } from '../test/helpers/wecom-callback';

const CONCURRENCY = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const REQUESTS = 60_000;

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Pre-signed distinct callbacks (a customer added each), so every request is a real insert. */
function buildRequests(): { path: string; body: string }[] {
  const ts = String(Math.floor(Date.now() / 1000));
  return Array.from({ length: REQUESTS }, (_, i) => {
    const xml = `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${1700000000 + i}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[rep${i % 500}]]></UserID><ExternalUserID><![CDATA[wmBENCH${i}]]></ExternalUserID><State><![CDATA[bench]]></State><WelcomeCode><![CDATA[WC${i}]]></WelcomeCode></xml>`;
    const enc = encrypt(TEST_WECOM.aesKey, xml, TEST_WECOM.corpId);
    const nonce = String(100000 + i);
    const sig = getSignature(TEST_WECOM.token, ts, nonce, enc);
    return {
      path: `/wecom/callback?msg_signature=${sig}&timestamp=${ts}&nonce=${nonce}`,
      body: `<xml><ToUserName><![CDATA[${TEST_WECOM.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`,
    };
  });
}

function load(url: string, requests: { path: string; body: string }[], seconds: number): Promise<Result> {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONCURRENCY,
        duration: seconds,
        requests: [{
          method: 'POST',
          setupRequest: (req) => {
            const r = requests[next++ % requests.length];
            return { ...req, path: r.path, body: r.body, headers: { 'content-type': 'text/xml' } };
          },
        }],
      },
      (err, res) => {
        if (err) return reject(err);
        resolve({ rps: res.requests.average, p50: res.latency.p50, p99: res.latency.p99, errors: res.errors, non2xx: res.non2xx });
      },
    );
  });
}

async function startServers(databaseUrl: string, env: Record<string, string> = {}): Promise<{ fencun: string; bare: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'callback-servers.ts')], {
    env: { ...process.env, ...TEST_WECOM_ENV, DATABASE_URL: databaseUrl, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`benchmark server exited with ${code}`)));
  });
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

/** One inbox database: bare route first, then Fencun, on the same box in the same minute. */
async function measure(database: TestDatabase, label: string, env: Record<string, string> = {}): Promise<{ lines: string[]; ratio: number }> {
  const requests = buildRequests();
  const servers = await startServers(database.url, env);
  try {
    // Warm both (JIT, connection pool), then measure bare first and Fencun second on the same box.
    await load(servers.bare, requests.slice(0, 2000), 2);
    await load(servers.fencun, requests.slice(-2000), 2);
    const bare = await load(servers.bare, requests, SECONDS);
    const fencun = await load(servers.fencun, requests, SECONDS);
    const ratio = fencun.rps / bare.rps;
    const p99Ratio = fencun.p99 / Math.max(bare.p99, 1);
    return {
      ratio,
      lines: [
        `callback ack, concurrency ${CONCURRENCY}, ${SECONDS}s each, inbox on ${label}`,
        `  bare verify+decrypt+parse route: ${bare.rps.toFixed(0)} req/s, p50 ${bare.p50} ms, p99 ${bare.p99} ms`,
        `  Fencun with durable inbox:       ${fencun.rps.toFixed(0)} req/s, p50 ${fencun.p50} ms, p99 ${fencun.p99} ms (errors ${fencun.errors}, non-2xx ${fencun.non2xx})`,
        `  throughput ratio ${ratio.toFixed(2)}x (bar >= 0.50) ${ratio >= 0.5 ? 'PASS' : 'FAIL'}; p99 ratio ${p99Ratio.toFixed(2)}x (bar <= 2.00) ${p99Ratio <= 2 ? 'PASS' : 'FAIL'}`,
      ],
    };
  } finally {
    servers.stop();
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * MariaDB (production), then the embedded SQLite default with synchronous=FULL beside NORMAL
 * (what it was before acknowledged callbacks had to survive power loss), each against its own
 * bare baseline. BENCH_CALLBACK_DB=mariadb|sqlite runs one of them.
 */
export async function benchCallback(): Promise<string[]> {
  const only = process.env.BENCH_CALLBACK_DB;
  const lines: string[] = [];
  if (only !== 'sqlite') {
    let database: TestDatabase | null = null;
    try {
      database = await createTestDatabase('mariadb');
    } catch (err) {
      lines.push(`callback ack on MariaDB: not measured (${(err as Error).message})`);
    }
    if (database) {
      try {
        lines.push(...(await measure(database, 'MariaDB')).lines);
      } finally {
        await database.drop();
      }
    }
  }
  if (only !== 'mariadb') {
    const ratios: Record<string, number> = {};
    for (const mode of ['FULL', 'NORMAL']) {
      const database = await createTestDatabase('sqlite');
      try {
        const r = await measure(database, `SQLite, WAL, synchronous=${mode}${mode === 'FULL' ? ' (the default)' : ''}`, { BENCH_SQLITE_SYNCHRONOUS: mode });
        ratios[mode] = r.ratio;
        lines.push(...r.lines);
      } finally {
        await database.drop();
      }
    }
    lines.push(`  SQLite: synchronous=FULL ${ratios.FULL.toFixed(2)}x of bare vs NORMAL ${ratios.NORMAL.toFixed(2)}x of bare`);
  }
  return lines;
}
