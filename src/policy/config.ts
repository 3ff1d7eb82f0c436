import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ComplaintsConfig, ComplaintsConfigSchema } from '../complaints/policy';
import { DigestConfig, DigestConfigSchema } from '../digest/schema';
import { AppError } from '../errors';
import { NextActionConfig, NextActionConfigSchema } from '../next-action/schema';
import { PressureConfig, PressureConfigSchema } from '../pressure/schema';
import { RemindersConfig, RemindersConfigSchema } from '../reminders/schema';
import { TiersConfig, TiersConfigSchema } from '../tiers/schema';

/**
 * Loads the judgement policy from config/*.json, validated. A bad file stops start-up with one
 * line naming the file, the field and what a valid value looks like, so an operator can fix it
 * without reading code.
 */

export interface PolicyConfig {
  tiers: TiersConfig;
  pressure: PressureConfig;
  complaints: ComplaintsConfig;
  nextAction: NextActionConfig;
  reminders: RemindersConfig;
  digest: DigestConfig;
}

export const DEFAULT_CONFIG_DIR = path.resolve(__dirname, '..', '..', 'config');

const FILES = {
  tiers: { file: 'tiers.json', schema: TiersConfigSchema },
  pressure: { file: 'pressure.json', schema: PressureConfigSchema },
  complaints: { file: 'complaints.json', schema: ComplaintsConfigSchema },
  nextAction: { file: 'next-action.json', schema: NextActionConfigSchema },
  reminders: { file: 'reminders.json', schema: RemindersConfigSchema },
  digest: { file: 'digest.json', schema: DigestConfigSchema },
} as const;

type Key = keyof typeof FILES;

export class PolicyConfigError extends AppError {
  constructor(message: string) {
    super('POLICY_CONFIG_INVALID', message);
    this.name = 'PolicyConfigError';
  }
}

export function loadPolicyConfig(dir: string = DEFAULT_CONFIG_DIR): PolicyConfig {
  const raw = {} as Record<Key, unknown>;
  for (const key of Object.keys(FILES) as Key[]) {
    const file = path.join(dir, FILES[key].file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new PolicyConfigError(`${shown(file)} is missing: expected a JSON file there (the defaults ship in the repository's config/ folder)`);
    }
    try {
      raw[key] = JSON.parse(text);
    } catch (err) {
      throw new PolicyConfigError(`${shown(file)} is not valid JSON: ${(err as Error).message}`);
    }
  }
  return parsePolicyConfig(raw, dir);
}

/** Validates already-parsed JSON (tests and tools use this directly). */
export function parsePolicyConfig(raw: Record<Key, unknown>, dir: string = DEFAULT_CONFIG_DIR): PolicyConfig {
  const parsed = {} as Record<Key, unknown>;
  for (const key of Object.keys(FILES) as Key[]) {
    const r = FILES[key].schema.safeParse(raw[key]);
    if (!r.success) throw new PolicyConfigError(`${shown(path.join(dir, FILES[key].file))}: ${describeIssues(r.error.issues, raw[key])}`);
    parsed[key] = r.data;
  }
  const config = parsed as unknown as PolicyConfig;
  crossCheck(config, dir);
  return config;
}

/** The files refer to each other by tier id; a typo there would silently fall back to defaults. */
function crossCheck(c: PolicyConfig, dir: string): void {
  const tierIds = c.tiers.tiers.map((t) => t.id);
  const known = new Set(tierIds);
  const list = tierIds.join(', ');
  const fail = (file: string, field: string, message: string) => {
    throw new PolicyConfigError(`${shown(path.join(dir, file))}: ${field} ${message}`);
  };
  for (const id of tierIds) {
    if (!c.pressure.tiers[id]) fail('pressure.json', `tiers.${id}`, 'is missing: every tier in tiers.json needs a pressure rule (copy one of the others)');
    if (c.nextAction.revisitCadenceDays[id] === undefined) fail('next-action.json', `revisitCadenceDays.${id}`, 'is missing: give every tier a revisit cadence in days, e.g. 30');
  }
  for (const id of Object.keys(c.pressure.tiers)) {
    if (!known.has(id)) fail('pressure.json', `tiers.${id}`, `is not a tier in tiers.json (tiers are: ${list})`);
  }
  for (const id of Object.keys(c.nextAction.revisitCadenceDays)) {
    if (!known.has(id)) fail('next-action.json', `revisitCadenceDays.${id}`, `is not a tier in tiers.json (tiers are: ${list})`);
  }
  c.nextAction.highValueTiers.forEach((id, i) => {
    if (!known.has(id)) fail('next-action.json', `highValueTiers[${i}]`, `must be a tier id from tiers.json (one of: ${list}), got "${id}"`);
  });
  const sla = c.reminders.rules.unansweredSla.responseTargetMinutes;
  for (const id of tierIds) {
    if (sla[id] === undefined) fail('reminders.json', `rules.unansweredSla.responseTargetMinutes.${id}`, 'is missing: give every tier a response target in minutes, e.g. 60');
  }
  for (const id of Object.keys(sla)) {
    if (!known.has(id)) fail('reminders.json', `rules.unansweredSla.responseTargetMinutes.${id}`, `is not a tier in tiers.json (tiers are: ${list})`);
  }
  for (const rule of ['dormantWakeUp', 'churnRisk'] as const) {
    c.reminders.rules[rule].tiers.forEach((id, i) => {
      if (!known.has(id)) fail('reminders.json', `rules.${rule}.tiers[${i}]`, `must be a tier id from tiers.json (one of: ${list}), got "${id}"`);
    });
  }
}

function describeIssues(issues: z.core.$ZodIssue[], root: unknown): string {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') {
        return i.keys.map((k) => `${fieldName([...i.path, k])} is not a known setting (check the spelling; docs/POLICY.md lists them)`).join('; ');
      }
      const field = fieldName(i.path);
      const value = valueAt(root, i.path);
      // zod's own wording ("Invalid input: expected number, received string") becomes plain English.
      const expected = /^Invalid input: expected (\w+)/.exec(i.message)?.[1];
      if (value === undefined) {
        if (i.message.startsWith('is missing')) return `${field} ${i.message}`;
        return expected ? `${field} is missing (expected ${article(expected)})` : `${field} is missing: it ${i.message}`;
      }
      const message = expected ? `must be ${article(expected)}` : i.message;
      return `${field} ${message} (got ${shortJson(value)})`;
    })
    .join('; ');
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function shortJson(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function fieldName(p: PropertyKey[]): string {
  if (p.length === 0) return '(top level)';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}

function valueAt(root: unknown, p: PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
