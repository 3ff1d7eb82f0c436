import fs from 'node:fs';
import path from 'node:path';
import type { MigrationInterface } from 'typeorm';

type MigrationClass = new () => MigrationInterface;

/**
 * Every migration in this folder, oldest first. Files are named `<timestamp>-<name>.ts` and export
 * one class; add new ones with a later timestamp and never edit one that has shipped.
 */
export const migrations: MigrationClass[] = fs
  .readdirSync(__dirname)
  .filter((f) => /^\d{13}-.+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
  .sort()
  .map((f) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(__dirname, f)) as Record<string, MigrationClass>;
    const classes = Object.values(mod).filter((v) => typeof v === 'function');
    if (classes.length !== 1) throw new Error(`migration file ${f} must export exactly one class`);
    return classes[0];
  });
