/**
 * npm run chaos [-- --short] [--callbacks N] [--faults N] [--sends N] [--minutes M] [--keep]
 *
 * Three Fencun instances on one private MariaDB, callbacks with duplicates, reordering and
 * WeCom's resends, sends through the outbox, and faults on a schedule (kill -9 mid-send, MariaDB
 * crash, expired tokens, 45009 and -1 storms, WeCom slower than the client's timeout). Prints one
 * table; exits 1 when anything was lost, doubled, misrecorded or left stuck.
 */
import { ChaosOptions, formatTable, FULL, runChaos, SHORT } from './harness';

function parseArgs(argv: string[]): ChaosOptions {
  const o: ChaosOptions = { ...(argv.includes('--short') ? SHORT : FULL) };
  const num = (name: string): number | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number, e.g. ${name} 10`);
    return v;
  };
  const known = new Set(['--short', '--keep', '--callbacks', '--faults', '--sends', '--minutes']);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a}; known: ${[...known].join(' ')}`);
  o.callbacks = num('--callbacks') ?? o.callbacks;
  o.faults = num('--faults') ?? o.faults;
  o.sends = num('--sends') ?? o.sends;
  const minutes = num('--minutes');
  if (minutes) o.trafficMs = minutes * 60_000;
  o.keep = argv.includes('--keep');
  return o;
}

async function main(): Promise<void> {
  let opts: ChaosOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`npm run chaos: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const r = await runChaos({ ...opts, log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(formatTable(r) + '\n');
  process.exit(r.lost || r.doubled || r.misrecorded || r.stuck ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`chaos harness failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
