import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';

/**
 * The image installs `npm ci --omit=dev` (Dockerfile), so every package the server and the CLI load
 * must be a runtime dependency. A dev-only one breaks `fencun …` in a container while `npm test`,
 * which has every package, stays green: cli-progress did exactly that.
 */
const ROOT = path.resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(d.name) && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Bare package names a file loads at run time (type-only imports are erased and do not count). */
function runtimePackages(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*import\s+(?!type\s)(?:[\w$*{},\s]+?\sfrom\s+)?['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*export\s+(?:\*|\{[\w$,\s]*\})\s*from\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s.split('/')[0]))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]));
}

describe('runtime dependencies', () => {
  it('should declare every package src/ loads at run time in dependencies, not only devDependencies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const used = new Map<string, string>();
    for (const file of sourceFiles(path.join(ROOT, 'src'))) {
      for (const name of runtimePackages(fs.readFileSync(file, 'utf8'))) used.set(name, path.relative(ROOT, file));
    }
    const missing = [...used].filter(([name]) => !(name in pkg.dependencies)).map(([name, file]) => `${name} (loaded by ${file})`);
    expect(used.size).toBeGreaterThan(10); // the scan found the imports at all
    expect(missing).toEqual([]);
  });
});
