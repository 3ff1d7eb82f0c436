import type { Command } from 'commander';
import { migrateWithLock } from '../db/migrate';
import { withDatabase } from './context';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (safe to run from several instances at once) and exit')
    .action(async () => {
      await withDatabase(async (db, log) => {
        const applied = await migrateWithLock(db.ds, log);
        process.stdout.write(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'Database schema is up to date.\n');
      });
    });
}
