/**
 * `npm run schema`: rebuilds supabase/schema.sql from a throw-away embedded database built by
 * the migrations (nothing of DATA_DIR or DATABASE_URL is touched).
 */
import fs from 'node:fs';
import path from 'node:path';
import { connect } from './connect';
import { migrate } from './migrate';
import { SCHEMA_FILE, schemaSnapshot } from './schema-snapshot';

const db = await connect({ kind: 'pglite', dataDir: 'memory://' });
try {
  await migrate(db);
  fs.writeFileSync(SCHEMA_FILE, await schemaSnapshot(db));
  console.log(`schema: wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
} finally {
  await db.close();
}
