/**
 * `npm run backup -- [file]` and `npm run restore -- <file> [--replace]`, on the configured
 * database (DATABASE_URL, else the embedded one in DATA_DIR — stop the product first: the embedded
 * database is one process's).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readEnv } from '../env';
import { openDatabase } from '../server';
import { restoreAndMigrate, writeBackup } from './backup';

const [command, ...args] = process.argv.slice(2);
const env = readEnv();

async function main(): Promise<void> {
  if (command === 'backup') {
    const file = args[0] ?? path.join('backups', `minqing-${new Date().toISOString().replace(/[:.]/g, '-')}.sql`);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = await openDatabase(env);
    const partial = `${file}.partial`;
    const out = fs.openSync(partial, 'w', 0o600);
    try {
      const { tables, rows } = await writeBackup(db, (chunk) => void fs.writeSync(out, chunk));
      fs.closeSync(out);
      // Only a complete backup gets the name: a crash mid-way leaves a .partial, never a short file.
      fs.renameSync(partial, file);
      console.log(`backup: ${rows} rows of ${tables} tables written to ${file}`);
    } finally {
      await db.close();
    }
    return;
  }
  if (command === 'restore') {
    const file = args.find((a) => !a.startsWith('--'));
    if (!file) throw new Error('Usage: npm run restore -- <backup.sql> [--replace]');
    const sql = fs.readFileSync(file, 'utf8');
    const db = await openDatabase(env);
    try {
      const { tables } = await restoreAndMigrate(db, sql, { replace: args.includes('--replace') });
      console.log(`restore: ${file} loaded into ${tables} tables (${db.kind})`);
    } finally {
      await db.close();
    }
    return;
  }
  throw new Error('Usage: backup-cli.ts backup [file] | restore <file> [--replace]');
}

main().catch((err: unknown) => {
  console.error(`${command ?? 'backup'} failed: ${(err as Error).message}`);
  process.exit(1);
});
