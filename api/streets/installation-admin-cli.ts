/** `npm run installation-admin -- --name 张三 --email it@district.example`: adds an installation administrator. */
import { parseArgs } from 'node:util';
import { migrate } from '../db/migrate';
import { readEnv } from '../env';
import { openDatabase } from '../server';
import { addInstallationAdmin } from './installation-admins';

const { values } = parseArgs({ options: { name: { type: 'string' }, email: { type: 'string' } } });
if (!values.name || !values.email || !/^[^@\s]+@[^@\s]+$/.test(values.email)) {
  console.error('usage: npm run installation-admin -- --name <name> --email <email>');
  process.exit(2);
}
const db = await openDatabase(readEnv());
try {
  await migrate(db);
  const { initialPassword } = await addInstallationAdmin(db, { name: values.name, email: values.email });
  console.log(
    `installation administrator ${values.email} added; one-time password (shown once, to change at first sign-in): ${initialPassword}`,
  );
} catch (err) {
  console.error(`could not add the installation administrator: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
