/**
 * Strings per language (geo/i18n): every language has exactly zh-CN's keys, and the web app's first
 * bundle holds zh-CN only. The bundle is checked on the module graph rather than by building it (a
 * build is too slow for a unit test): the files web/src/main.tsx reaches through static imports are
 * what Vite puts in the first chunk; a dynamic import() starts a chunk of its own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRINGS } from '../../geo/i18n/all-locales';
import { LOCALES } from '../../geo/i18n/strings';

const root = resolve(import.meta.dirname, '../..');

/** Static imports and re-exports of a module, type-only ones left out (they are erased). */
function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const m of source.matchAll(/^\s*(import|export)\s+(type\s)?[^;'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    if (m[2]) continue;
    specifiers.push((m[3] ?? m[4])!);
  }
  return specifiers;
}

function resolveModule(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null; // a package
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    if (/\.tsx?$/.test(candidate) && existsSync(candidate)) return candidate;
  }
  return null; // CSS, images, JSON
}

/** The repository-relative files an entry reaches through static imports. */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [resolve(root, entry)];
  while (queue.length) {
    const file = queue.pop()!;
    const name = relative(root, file);
    if (seen.has(name)) continue;
    seen.add(name);
    for (const s of staticImports(file)) {
      const next = resolveModule(file, s);
      if (next) queue.push(next);
    }
  }
  return seen;
}

const OTHER_LANGUAGES = ['geo/i18n/zh-TW.ts', 'geo/i18n/en.ts', 'geo/i18n/all-locales.ts'];

describe('strings per language', () => {
  it('every language has exactly the keys of zh-CN, each a non-empty text', () => {
    const keys = Object.keys(STRINGS['zh-CN']).sort();
    expect(keys.length).toBeGreaterThan(600);
    for (const locale of LOCALES) {
      expect(Object.keys(STRINGS[locale]).sort(), locale).toEqual(keys);
      for (const key of keys) expect((STRINGS[locale] as Record<string, string>)[key]!.trim(), `${key} in ${locale}`).not.toBe('');
    }
  });

  it("the web app's first bundle has zh-CN only; zh-TW and English load on first use", () => {
    const web = staticGraph('web/src/main.tsx');
    expect(web.size).toBeGreaterThan(50);
    expect(web).toContain('geo/i18n/strings.ts');
    expect(web).toContain('geo/i18n/zh-CN.ts');
    for (const file of OTHER_LANGUAGES) expect(web, file).not.toContain(file);
    // ... and they are still there to load.
    const locale = readFileSync(resolve(root, 'web/src/i18n/locale.tsx'), 'utf8');
    expect(locale).toContain("import('../../../geo/i18n/zh-TW')");
    expect(locale).toContain("import('../../../geo/i18n/en')");
  });

  it('the API has all three languages synchronously (and the graph walk finds them when they are there)', () => {
    const api = staticGraph('api/app.ts');
    for (const file of OTHER_LANGUAGES) expect(api, file).toContain(file);
  });
});
