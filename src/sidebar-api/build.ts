import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Log } from '../log';

/**
 * The sidebar's static build (sidebar/ → sidebar/dist, git-ignored). A fresh clone has no dist,
 * and a developer who edits sidebar/src should not serve yesterday's page, so the server builds
 * when dist is missing or older than its sources. `npm run build:sidebar` does the same ahead of
 * time. Builds go to a temporary folder and are swapped in under a lock file, so several
 * processes (test workers, instances) never see a half-written dist.
 */

export const SIDEBAR_ROOT = path.resolve(__dirname, '..', '..', 'sidebar');
export const SIDEBAR_DIST = path.join(SIDEBAR_ROOT, 'dist');
const SOURCES = ['src', 'index.html', 'vite.config.mts'];
// Scratch space beside node_modules: git-ignored, and on the same file system as sidebar/ so the
// finished build can be renamed into place atomically.
const SCRATCH = path.resolve(SIDEBAR_ROOT, '..', 'node_modules', '.cache', 'fencun-sidebar');
const LOCK = path.join(SCRATCH, 'build.lock');
const LOCK_WAIT_MS = 180_000;

export function isSidebarBuildStale(root = SIDEBAR_ROOT): boolean {
  const index = path.join(root, 'dist', 'index.html');
  if (!fs.existsSync(index)) return true;
  if (!fs.existsSync(path.join(root, 'src'))) return false; // a deployment that ships dist only
  return newestMtime(SOURCES.map((s) => path.join(root, s))) > fs.statSync(index).mtimeMs;
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const p of paths) {
    if (!fs.existsSync(p)) continue;
    const st = fs.statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(fs.readdirSync(p).map((f) => path.join(p, f))));
    else newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

let inFlight: Promise<void> | null = null;

/** Builds the sidebar if it is missing or stale; concurrent callers share one build. */
export function ensureSidebarBuilt(log?: Log): Promise<void> {
  if (!isSidebarBuildStale()) return Promise.resolve();
  inFlight ??= build(log).finally(() => (inFlight = null));
  return inFlight;
}

async function build(log?: Log): Promise<void> {
  const release = await lock();
  try {
    // Another process may have built it while we waited for the lock.
    if (!isSidebarBuildStale()) return;
    const started = Date.now();
    const tmp = path.join(SCRATCH, `dist-${process.pid}-${started}`);
    log?.info('building the sidebar (sidebar/dist is missing or older than its sources)');
    try {
      await runVite(tmp);
      const old = path.join(SCRATCH, `old-${process.pid}-${started}`);
      if (fs.existsSync(SIDEBAR_DIST)) fs.renameSync(SIDEBAR_DIST, old);
      fs.renameSync(tmp, SIDEBAR_DIST);
      fs.rmSync(old, { recursive: true, force: true });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    log?.info({ ms: Date.now() - started }, 'sidebar built');
  } finally {
    release();
  }
}

function runVite(outDir: string): Promise<void> {
  let viteBin: string;
  try {
    viteBin = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  } catch {
    return Promise.reject(new Error('cannot build the sidebar: vite is not installed (run npm ci with dev dependencies, then npm run build:sidebar)'));
  }
  const args = [viteBin, 'build', '--config', path.join(SIDEBAR_ROOT, 'vite.config.mts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'];
  return new Promise((resolve, reject) => {
    // Always a production build: under jest NODE_ENV is "test", which would keep Vue's dev-only
    // warnings and checks in the bundle (+12 KB gzipped).
    const env = { ...process.env, NODE_ENV: 'production' };
    execFile(process.execPath, args, { cwd: path.dirname(SIDEBAR_ROOT), env, timeout: 170_000, maxBuffer: 8 << 20 }, (err, _out, stderr) => {
      if (err) reject(new Error(`sidebar build failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

async function lock(): Promise<() => void> {
  fs.mkdirSync(SCRATCH, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = fs.openSync(LOCK, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(LOCK, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (lockIsStale()) {
      fs.rmSync(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the sidebar build lock ${LOCK} is held by another process; remove it if no build is running`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function lockIsStale(): boolean {
  try {
    const pid = Number(fs.readFileSync(LOCK, 'utf8'));
    if (!pid) return Date.now() - fs.statSync(LOCK).mtimeMs > 10_000;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ESRCH' || code === 'ENOENT';
  }
}
