import { Command, InvalidArgumentError } from 'commander';
import { DEMO_CORP, generateSeed, loadSeedFile, saveSeedFile, startSimulator } from '../wecom-simulator';
import { cliLogger } from './context';

interface SimulatorFlags {
  port: number;
  host: string;
  seed?: string;
  seedNumber: number;
  reps: number;
  customers: number;
  saveSeed?: string;
  callbackUrl?: string;
  corpId?: string;
  agentId?: number;
  secret?: string;
  callbackToken?: string;
  callbackAesKey?: string;
  emitEvery?: number;
}

type Env = Record<string, string | undefined>;

/**
 * `npx fencun simulator`: a local WeCom speaking the documented API, for trying Fencun, tests
 * and benchmarks. Credentials come from flags, else the same WECOM_* variables Fencun reads,
 * else the demo corp's.
 */
export function registerSimulatorCommand(program: Command, env: Env = process.env): void {
  program
    .command('simulator')
    .description('Run the bundled WeCom simulator: the WeCom API under /cgi-bin, its admin API under /__admin')
    .option('--port <port>', 'port to listen on', toInt, 4100)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <file.json>', 'load the corp from a seed file (see --save-seed)')
    .option('--seed-number <n>', 'generate the corp from this number (same number, same corp)', toInt, 1)
    .option('--reps <n>', 'sales reps in a generated corp', toInt, 24)
    .option('--customers <n>', 'customers in a generated corp', toInt, 1_200)
    .option('--save-seed <file.json>', 'write the corp to this seed file, then serve it')
    .option('--callback-url <url>', "Fencun's callback URL, e.g. http://127.0.0.1:3000/wecom/callback")
    .option('--corp-id <id>', 'CorpID (default WECOM_CORP_ID, else the demo corp)')
    .option('--agent-id <id>', 'AgentId (default WECOM_AGENT_ID)', toInt)
    .option('--secret <secret>', 'app secret gettoken accepts (default WECOM_AGENT_SECRET)')
    .option('--callback-token <token>', 'callback Token (default WECOM_CALLBACK_TOKEN)')
    .option('--callback-aes-key <key>', 'callback EncodingAESKey (default WECOM_CALLBACK_AES_KEY)')
    .option('--emit-every <seconds>', 'emit a random live event (new customer, message, deletion…) this often', toPositive)
    .action(async (flags: SimulatorFlags) => {
      const log = cliLogger();
      const seed = flags.seed
        ? loadSeedFile(flags.seed)
        : generateSeed({ seed: flags.seedNumber, reps: flags.reps, customers: flags.customers, now: Math.floor(Date.now() / 86_400_000) * 86_400 });
      if (flags.saveSeed) {
        saveSeedFile(flags.saveSeed, seed);
        log.info({ file: flags.saveSeed }, 'seed file written');
      }
      const sim = await startSimulator({
        port: flags.port,
        host: flags.host,
        corpId: flags.corpId ?? env.WECOM_CORP_ID ?? DEMO_CORP.corpId,
        agentId: flags.agentId ?? Number(env.WECOM_AGENT_ID ?? DEMO_CORP.agentId),
        secret: flags.secret ?? env.WECOM_AGENT_SECRET ?? DEMO_CORP.secret,
        callbackToken: flags.callbackToken ?? env.WECOM_CALLBACK_TOKEN ?? DEMO_CORP.callbackToken,
        callbackAesKey: flags.callbackAesKey ?? env.WECOM_CALLBACK_AES_KEY ?? DEMO_CORP.callbackAesKey,
        callbackUrl: flags.callbackUrl ?? null,
        seed,
        emitEveryMs: flags.emitEvery ? flags.emitEvery * 1000 : undefined,
        onEmit: (e) => log.info({ kind: e.kind }, e.text),
        log,
      });
      process.stdout.write(
        `WeCom simulator at ${sim.url}\n` +
          `  point Fencun at it:  WECOM_API_BASE=${sim.url}\n` +
          `  admin API:           ${sim.url}/__admin/state\n` +
          `  callbacks go to:     ${flags.callbackUrl ?? '(none; set --callback-url)'}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => void sim.stop().then(resolve, resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

function toInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

function toPositive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}
