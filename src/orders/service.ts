import type { Database } from '../db/database';
import { CsvSyntaxError, parseCsv } from './csv';
import { upsertOrders } from './repository';
import type { OrderImportResult, OrderInput, RowError } from './types';
import { validateCsvOrders } from './validate';

/** Imports validated orders in one transaction: all of them, or (on any failure) none. */
export async function importOrders(db: Database, orders: OrderInput[], source: 'api' | 'csv', now: number): Promise<OrderImportResult> {
  return db.transaction((tx) => upsertOrders(tx, orders, source, now));
}

/** Parses and validates a CSV export; any error means nothing should be imported. */
export function readOrdersCsv(text: string, ctx: { timezone: string; now: number }): { orders: OrderInput[]; errors: RowError[]; ignoredColumns: string[] } {
  try {
    return validateCsvOrders(parseCsv(text), ctx);
  } catch (err) {
    if (err instanceof CsvSyntaxError) return { orders: [], errors: [{ line: err.line, column: '(csv)', reason: err.message.replace(/^line \d+: /, '') }], ignoredColumns: [] };
    throw err;
  }
}
