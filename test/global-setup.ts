import { execSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createConnection } from 'mysql2/promise';

/**
 * What `npm test` needs beyond `npm ci`, provided here or refused with one clear line:
 * Debian's Chromium and a Chinese font for the sidebar's browser tests, and — for
 * FENCUN_TEST_DB=mariadb — a MariaDB server (started if it is installed but down).
 */
export default async function globalSetup(): Promise<void> {
  ensureBrowser();
  if (process.env.FENCUN_TEST_DB === 'mariadb') await ensureMariaDb();
}

const CHROMIUM = '/usr/bin/chromium';

function ensureBrowser(): void {
  const hasFont = () => spawnSync('sh', ['-c', 'fc-list 2>/dev/null | grep -qi "wenquanyi\\|wqy"']).status === 0;
  if (fs.existsSync(CHROMIUM) && hasFont()) return;
  const canInstall = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    throw new Error('The sidebar tests need Debian chromium (/usr/bin/chromium) and fonts-wqy-microhei: ' +
      'run `apt-get install -y chromium fonts-wqy-microhei` as root, then npm test again.');
  }
  process.stderr.write('\nnpm test: installing chromium and fonts-wqy-microhei for the browser tests (apt-get)…\n');
  try {
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei', { stdio: 'inherit' });
  } catch {
    throw new Error('Could not install chromium and fonts-wqy-microhei with apt-get (see the output above); install them by hand and run npm test again.');
  }
}

async function ensureMariaDb(): Promise<void> {
  const base = new URL(process.env.FENCUN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306');
  const ping = async () => {
    try {
      const c = await createConnection({ host: base.hostname, port: Number(base.port || 3306), user: base.username || 'root', password: base.password });
      await c.end();
      return true;
    } catch {
      return false;
    }
  };
  if (await ping()) return;
  const local = ['127.0.0.1', 'localhost'].includes(base.hostname) && fs.existsSync('/usr/sbin/mariadbd');
  if (!local) throw new Error(`FENCUN_TEST_DB=mariadb needs a MariaDB/MySQL server at ${base.host} (set FENCUN_TEST_MYSQL_URL), and none answers.`);
  process.stderr.write('\nnpm test: MariaDB is not answering; starting /usr/sbin/mariadbd…\n');
  spawnSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'], { stdio: 'inherit' });
  for (let i = 0; i < 60; i++) {
    if (await ping()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('MariaDB did not start within 60 s; start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd');
}
