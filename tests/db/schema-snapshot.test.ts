/**
 * supabase/schema.sql is what the migrations build, and each function or view has one home.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../api/db/database';
import { readMigrations } from '../../api/db/migrate';
import { SCHEMA_FILE, schemaSnapshot } from '../../api/db/schema-snapshot';
import { migratedPglite } from '../support/databases';

describe('schema snapshot', () => {
  let db: Database;
  beforeAll(async () => {
    db = await migratedPglite();
  });
  afterAll(() => db?.close());

  it('is what the migrations build (run `npm run schema` after changing a migration)', async () => {
    const current = await schemaSnapshot(db);
    const stored = fs.readFileSync(SCHEMA_FILE, 'utf8');
    // The first differing line says what is stale, rather than two 4,000-line strings.
    const a = stored.split('\n');
    const b = current.split('\n');
    const at = b.findIndex((line, i) => line !== a[i]);
    expect(at === -1 && a.length === b.length ? null : { line: at + 1, stored: a[at], built: b[at] }).toBeNull();
  });

  it('names every function and view of the migrations, with its current body', async () => {
    const snapshot = fs.readFileSync(SCHEMA_FILE, 'utf8');
    expect(snapshot).toContain('CREATE OR REPLACE FUNCTION minqing.household_status_of(as_of date, ids integer[])');
    expect(snapshot).toMatch(/create view public\.household_records with \(security_barrier=true\) as/);
  });
});

describe('migrations', () => {
  it('define each function and view in one file only', () => {
    const homes = new Map<string, Set<string>>();
    for (const m of readMigrations()) {
      const sql = m.sql.replace(/--.*$/gm, '');
      for (const [, kind, name] of sql.matchAll(/create\s+(?:or\s+replace\s+)?(function|view)\s+([\w."]+)/gi)) {
        const key = `${kind!.toLowerCase()} ${name!.toLowerCase()}`;
        homes.set(key, (homes.get(key) ?? new Set()).add(m.file));
      }
    }
    expect(homes.size).toBeGreaterThan(100);
    const twice = [...homes].filter(([, files]) => files.size > 1).map(([k, files]) => `${k}: ${[...files].join(', ')}`);
    expect(twice).toEqual([]);
  });
});
