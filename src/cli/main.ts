import { Command } from 'commander';
import { registerCampaignCommands } from './campaigns';
import { registerInboxCommands } from './inbox';
import { registerJobCommands } from './jobs';
import { registerMigrateCommand } from './migrate';
import { registerOutboxCommands } from './outbox';
import { registerExtraCommands } from './extra';
import { registerGroupContentCommands } from './group-content';
import { registerDigestCommands } from './digest';

/** `npx fencun …`: every command has --help; errors print one line and exit non-zero. */
const program = new Command('fencun')
  .description('Fencun (分寸) — SCRM for WeCom. Operator commands; configuration comes from the environment (see README).')
  .showHelpAfterError('(run with --help for usage)');

registerMigrateCommand(program);
registerInboxCommands(program);
registerOutboxCommands(program);
registerJobCommands(program);
registerExtraCommands(program);
registerCampaignCommands(program);
registerGroupContentCommands(program);
registerDigestCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`fencun: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
