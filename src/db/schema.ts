import { QueryRunner, Table, TableColumnOptions, TableIndex, TableUniqueOptions } from 'typeorm';

/**
 * Column builders for hand-written, portable migrations: one migration file serves SQLite and
 * MySQL/MariaDB. Instants are BIGINT epoch milliseconds (UTC by construction, compare the same
 * way in both dialects); ids are auto-increment integers.
 */
export function columnsFor(qr: QueryRunner) {
  const mysql = qr.connection.options.type !== 'better-sqlite3';
  return {
    id: (name = 'id'): TableColumnOptions => ({
      name,
      // SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
      type: mysql ? 'bigint' : 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment',
    }),
    str: (name: string, length: number, opts: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name, type: 'varchar', length: String(length), isNullable: false, ...opts,
    }),
    text: (name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name, type: mysql ? 'mediumtext' : 'text', isNullable: true, ...opts,
    }),
    int: (name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name, type: 'int', isNullable: false, ...opts,
    }),
    bigint: (name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name, type: 'bigint', isNullable: false, ...opts,
    }),
    /** An instant as epoch milliseconds. */
    time: (name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name, type: 'bigint', isNullable: false, ...opts,
    }),
    bool: (name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name, type: mysql ? 'tinyint' : 'integer', isNullable: false, default: 0, ...opts,
    }),
    decimal: (name: string, opts: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
      name, type: 'decimal', precision: 14, scale: 2, isNullable: false, ...opts,
    }),
  };
}

export interface TableSpec {
  name: string;
  columns: TableColumnOptions[];
  indices?: { columns: string[]; unique?: boolean; name?: string }[];
  uniques?: TableUniqueOptions[];
}

export async function createTable(qr: QueryRunner, spec: TableSpec): Promise<void> {
  const mysql = qr.connection.options.type !== 'better-sqlite3';
  await qr.createTable(
    new Table({
      name: spec.name,
      columns: spec.columns,
      indices: (spec.indices ?? []).map(
        (i) => new TableIndex({ name: i.name ?? `ix_${spec.name}_${i.columns.join('_')}`, columnNames: i.columns, isUnique: i.unique }),
      ),
      uniques: spec.uniques,
      ...(mysql ? { engine: 'InnoDB' } : {}),
    }),
    false,
  );
  if (mysql) await qr.query(`ALTER TABLE \`${spec.name}\` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
}
