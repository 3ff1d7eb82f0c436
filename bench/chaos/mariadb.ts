import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from '../../test/helpers/listen';

export { freePort };

const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db', '/usr/sbin/mariadb-install-db'];
const SERVER = ['/usr/sbin/mariadbd', '/usr/bin/mariadbd', '/usr/sbin/mysqld'];

/** Where the MariaDB server binaries are, or a sentence saying what to install. */
export function findMariaDb(): { installDb: string; server: string } {
  const installDb = INSTALL_DB.find((p) => fs.existsSync(p));
  const server = SERVER.find((p) => fs.existsSync(p));
  if (!installDb || !server) {
    throw new Error('the chaos harness runs a MariaDB server of its own and needs mariadb-install-db and mariadbd ' +
      `(looked in ${[...INSTALL_DB, ...SERVER].join(', ')}): install them with \`apt-get install -y mariadb-server\`, then run it again.`);
  }
  return { installDb, server };
}


/**
 * A mariadbd of the harness's own: its own data directory under `dir`, a spare port, started and
 * stopped (or crashed with SIGKILL) by the harness, so restarting it mid-run disturbs nothing
 * else on the machine. Root has no password and is reachable only on 127.0.0.1.
 */
export class PrivateMariaDb {
  private child: ChildProcess | null = null;
  private readonly datadir: string;
  port = 0;
  restarts = 0;

  constructor(private readonly dir: string) {
    this.datadir = path.join(dir, 'mariadb-data');
  }

  get baseUrl(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  async init(): Promise<void> {
    const { installDb } = findMariaDb();
    fs.mkdirSync(this.datadir, { recursive: true });
    const r = spawnSync(installDb, [
      '--no-defaults', `--datadir=${this.datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db',
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${installDb} failed (exit ${r.status}): ${(r.stderr || r.stdout || '').slice(-2000)}`);
    this.port = await freePort();
  }

  async start(): Promise<void> {
    const { server } = findMariaDb();
    const log = fs.openSync(path.join(this.dir, 'mariadb.log'), 'a');
    this.child = spawn(server, [
      '--no-defaults', `--datadir=${this.datadir}`, `--port=${this.port}`, '--bind-address=127.0.0.1',
      `--socket=${path.join(this.dir, 'mariadb.sock')}`, `--pid-file=${path.join(this.dir, 'mariadb.pid')}`,
      '--skip-log-bin', '--skip-name-resolve', '--innodb-buffer-pool-size=128M', '--max-connections=500',
      // Durable commits, as production: an acknowledged callback must survive the crash below.
      '--innodb-flush-log-at-trx-commit=1',
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const child = this.child;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode} at start; see ${path.join(this.dir, 'mariadb.log')}`);
      if (await this.ping()) return;
      if (Date.now() > deadline) throw new Error(`mariadbd did not answer on port ${this.port} within 90 s; see ${path.join(this.dir, 'mariadb.log')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGKILL (a crash: InnoDB recovers committed work on restart) or SIGTERM (a clean stop). */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }

  /** Crashes the server and starts it again on the same port and data directory. */
  async crashAndRestart(downMs: number): Promise<void> {
    await this.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
    this.restarts++;
  }

  async createDatabase(name: string): Promise<string> {
    const c = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root' });
    try {
      await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await c.end();
    }
    return `${this.baseUrl}/${name}`;
  }

  private async ping(): Promise<boolean> {
    try {
      const c = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 1_000 });
      await c.end();
      return true;
    } catch {
      return false;
    }
  }
}
