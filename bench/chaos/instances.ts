import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const REPO = path.resolve(__dirname, '..', '..');

/** What the harness reads from an instance's JSON log lines (the rest goes to its log file). */
export interface JobLogLine {
  instance: string;
  job: string;
  runId: string;
  attempt?: number;
  msg: string;
}

/**
 * One Fencun instance: a child process running the real `src/main.ts` entry (what `npm start`
 * runs) with its own PORT and FENCUN_INSTANCE_ID. kill9() is a crash; start() again is the restart.
 */
export class FencunInstance {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  starts = 0;
  kills = 0;
  /** Started and logged "Fencun is serving" (not merely spawned). */
  serving = false;

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly onJobLine: (l: JobLogLine) => void,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the process and resolves once it logs "Fencun is serving" (migrated, listening). */
  start(): Promise<void> {
    if (this.child) return this.ready!;
    const out = fs.createWriteStream(this.logFile, { flags: 'a' });
    out.on('error', () => undefined);
    out.write(`\n---- start ${++this.starts} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env, PORT: String(this.port), FENCUN_INSTANCE_ID: this.id },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr!.pipe(out, { end: false });
    const lines = readline.createInterface({ input: child.stdout! });
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.id} did not start within 120 s; see ${this.logFile}`)), 120_000);
      lines.on('line', (line) => {
        out.write(line + '\n');
        if (!line.startsWith('{')) return;
        let j: { msg?: string; job?: string; runId?: string; attempt?: number };
        try {
          j = JSON.parse(line);
        } catch {
          return;
        }
        if (j.msg === 'Fencun is serving') {
          this.serving = true;
          clearTimeout(timer);
          resolve();
        }
        if (j.job && j.runId && j.msg) this.onJobLine({ instance: this.id, job: j.job, runId: j.runId, attempt: j.attempt, msg: j.msg });
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        out.write(`---- exit code=${code} signal=${signal}\n`);
        reject(new Error(`${this.id} exited (code ${code}, signal ${signal}) before it was serving; see ${this.logFile}`));
      });
    });
    child.once('exit', () => {
      if (this.child === child) {
        this.child = null;
        this.serving = false;
      }
      lines.close();
      out.end();
    });
    return this.ready;
  }

  /**
   * Starts the instance as a supervisor (systemd, Kubernetes) would: Fencun refuses to start
   * while its database is down, so a failed start is tried again a second later.
   */
  async startSupervised(deadlineMs = 180_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      try {
        return await this.start();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  /** kill -9: no shutdown, leases and running sends left as they are. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.kills++;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.ready?.catch(() => undefined);
  }

  /** A clean stop (SIGTERM: the instance finishes in-flight work), used at the end of a run. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    this.ready?.catch(() => undefined);
  }
}
