import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { isValidTimeZone } from '../config';
import type { Database } from '../db/database';
import { ArchiveRecord, ingestArchiveRecords, MAX_ARCHIVE_BATCH, RecordError, validateArchiveRecords } from '../messages/archive';
import { importOrders, readOrdersCsv } from '../orders/service';
import type { RowError } from '../orders/types';
import { parseCsv } from '../orders/csv';
import { DEFAULT_TIME_ZONE } from '../policy/types';
import { NOW_OPTION_HELP, parseNowOption } from './now';
import { readAttributesCsv } from '../reminders/attributes';
import { upsertCustomerAttributes } from '../reminders/repository';
import { withDatabase } from './context';
import { terminalProgress } from './progress-bar';

/** Problems printed before the summary line; the rest are counted. */
const SHOW_ERRORS = 50;

/** `npx fencun archive import` and `npx fencun orders import` (see docs/DATA.md). */
export function registerDataCommands(program: Command): void {
  const archive = program.command('archive').description('Chat archive (会话内容存档) data');
  archive
    .command('import <file>')
    .description('Import decrypted archive records, one JSON object per line (the Finance SDK\'s decrypted shape); '
      + 'every line is checked first and nothing is imported if any is invalid; re-importing a file stores nothing twice')
    .option('--dry-run', 'only check the file')
    .action(async (file: string, opts: { dryRun?: boolean }) => {
      assertReadable(file);
      const checked = await checkArchiveFile(file);
      if (checked.errors.length > 0) {
        printErrors(checked.errors.map((e) => `line ${e.line}: ${e.field} ${e.reason}${e.msgid ? ` (msgid ${e.msgid})` : ''}`), checked.errors.length);
        throw new Error(`${checked.badLines} of ${checked.lines} lines are invalid; nothing was imported`);
      }
      if (opts.dryRun) {
        process.stdout.write(`${file}: ${checked.lines} records, all valid (dry run, nothing imported)\n`);
        return;
      }
      await withDatabase(async (db) => {
        const totals = await importArchiveFile(db, file, checked.lines);
        process.stdout.write(`Imported ${file}: ${totals.stored} stored, ${totals.duplicates} already present, ${totals.ignored} ignored (switch records)\n`);
      });
    });

  const orders = program.command('orders').description('Orders and other value events');
  orders
    .command('import <file>')
    .description('Import orders from a CSV file (header: order_id, external_user_id | unionid | mobile, amount, paid_at, product, items); '
      + 'all rows are checked first and imported in one transaction, so an error imports nothing; re-importing updates, never duplicates')
    .option('--timezone <tz>', 'time zone of paid_at values without an offset (use the same as FENCUN_TIMEZONE)', DEFAULT_TIME_ZONE)
    .option('--dry-run', 'only check the file')
    .action(async (file: string, opts: { timezone: string; dryRun?: boolean }) => {
      if (!isValidTimeZone(opts.timezone)) throw new Error(`--timezone must be an IANA time zone such as Asia/Shanghai (got "${opts.timezone}")`);
      assertReadable(file);
      const { orders: rows, errors, ignoredColumns } = readOrdersCsv(fs.readFileSync(file, 'utf8'), { timezone: opts.timezone, now: Date.now() });
      if (ignoredColumns.length > 0) process.stderr.write(`note: ignoring unknown column(s): ${ignoredColumns.join(', ')}\n`);
      if (errors.length > 0) {
        printErrors(errors.map(formatRowError), errors.length);
        throw new Error(`${new Set(errors.map((e) => e.line)).size} row(s) have problems; nothing was imported`);
      }
      if (opts.dryRun) {
        process.stdout.write(`${file}: ${rows.length} orders, all valid (dry run, nothing imported)\n`);
        return;
      }
      await withDatabase(async (db) => {
        process.stderr.write(`importing ${rows.length} orders…\n`);
        const r = await importOrders(db, rows, 'csv', Date.now());
        process.stdout.write(`Imported ${file}: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged; `
          + `${r.unlinked} not yet linked to a customer (linked when the contact appears)\n`);
      });
    });

  const customers = program.command('customers').description('Customer attributes WeCom does not have (birthday, anniversary)');
  customers
    .command('import <file>')
    .description('Import birthdays and anniversaries from a CSV file (header: external_user_id, birthday, anniversary; or 客户id, 生日, 纪念日); '
      + 'birthday as 1990-05-03 or 05-03, anniversary as 2019-06-01; an empty cell keeps the stored value; every row is checked first and '
      + 'nothing is imported if any is invalid; re-importing changes nothing')
    .option('--timezone <tz>', 'calendar of the dates (use the same as FENCUN_TIMEZONE)', DEFAULT_TIME_ZONE)
    .option('--dry-run', 'only check the file')
    .option('--now <time>', NOW_OPTION_HELP)
    .action(async (file: string, opts: { timezone: string; dryRun?: boolean; now?: string }) => {
      const now = parseNowOption(opts.now).getTime();
      if (!isValidTimeZone(opts.timezone)) throw new Error(`--timezone must be an IANA time zone such as Asia/Shanghai (got "${opts.timezone}")`);
      assertReadable(file);
      let records;
      try {
        records = parseCsv(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`${file} is not a valid CSV file: ${(err as Error).message}; nothing was imported`);
      }
      const { items, errors, ignoredColumns } = readAttributesCsv(records, { timezone: opts.timezone, now });
      if (ignoredColumns.length > 0) process.stderr.write(`note: ignoring unknown column(s): ${ignoredColumns.join(', ')}\n`);
      if (errors.length > 0) {
        printErrors(errors.map((e) => `line ${e.line}, column ${e.field}: ${e.reason}`), errors.length);
        throw new Error(`${new Set(errors.map((e) => e.line)).size} row(s) have problems; nothing was imported`);
      }
      if (opts.dryRun) {
        process.stdout.write(`${file}: ${items.length} customers, all valid (dry run, nothing imported)\n`);
        return;
      }
      await withDatabase(async (db) => {
        const r = await upsertCustomerAttributes(db, items, 'csv', now);
        process.stdout.write(`Imported ${file}: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged\n`);
      });
    });
}

function assertReadable(file: string): void {
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  if (!fs.statSync(file).isFile()) throw new Error(`${file} is not a file`);
}

function formatRowError(e: RowError): string {
  return `line ${e.line}, column ${e.column}: ${e.reason}`;
}

function printErrors(lines: string[], total: number): void {
  for (const l of lines.slice(0, SHOW_ERRORS)) process.stderr.write(l + '\n');
  if (total > SHOW_ERRORS) process.stderr.write(`… and ${total - SHOW_ERRORS} more\n`);
}

interface LineError extends Omit<RecordError, 'index'> {
  line: number;
}

async function* readRecords(file: string): AsyncGenerator<{ line: number; value: unknown; parseError?: string }> {
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) as unknown };
    } catch {
      yield { line, value: null, parseError: 'is not valid JSON' };
    }
  }
}

/** First pass: every line checked, nothing written. */
async function checkArchiveFile(file: string): Promise<{ lines: number; badLines: number; errors: LineError[] }> {
  const errors: LineError[] = [];
  const bad = new Set<number>();
  let lines = 0;
  for await (const r of readRecords(file)) {
    lines++;
    if (r.parseError) {
      errors.push({ line: r.line, msgid: null, field: '(line)', reason: r.parseError });
      bad.add(r.line);
      continue;
    }
    for (const e of validateArchiveRecords([r.value]).errors) {
      errors.push({ line: r.line, msgid: e.msgid, field: e.field, reason: e.reason });
      bad.add(r.line);
    }
  }
  if (lines === 0) errors.push({ line: 1, msgid: null, field: '(file)', reason: 'holds no records' });
  return { lines, badLines: bad.size || (lines === 0 ? 1 : 0), errors };
}

/** Second pass: batches of 1000, each in its own transaction (idempotent, so an interrupted import can simply be re-run). */
async function importArchiveFile(db: Database, file: string, total: number): Promise<{ stored: number; duplicates: number; ignored: number }> {
  const totals = { stored: 0, duplicates: 0, ignored: 0 };
  const progress = terminalProgress();
  let done = 0;
  let batch: ArchiveRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await ingestArchiveRecords(db, batch, Date.now());
    totals.stored += r.stored;
    totals.duplicates += r.duplicates;
    totals.ignored += r.ignored;
    done += batch.length;
    batch = [];
    progress.update(done, total, 'records');
    if (!process.stderr.isTTY) process.stderr.write(`${done}/${total} records\n`);
  };
  try {
    for await (const r of readRecords(file)) {
      batch.push(...validateArchiveRecords([r.value]).records);
      if (batch.length >= MAX_ARCHIVE_BATCH) await flush();
    }
    await flush();
  } finally {
    progress.stop();
  }
  return totals;
}
