/**
 * Installation administrators are added by whoever runs the server (the district's IT), never
 * through the API: there is nobody above them to ask. Each gets a local sign-in with a one-time
 * password to change at first sign-in, and a row in minqing.installation_admins.
 */

import { generateInitialPassword, hashPassword } from '../auth/password';
import type { Database } from '../db/database';

export async function addInstallationAdmin(
  db: Database,
  who: { name: string; email: string },
): Promise<{ userId: string; initialPassword: string }> {
  const email = who.email.trim().toLowerCase();
  const initialPassword = generateInitialPassword();
  const hash = await hashPassword(initialPassword);
  const userId = await db.transaction(async (tx) => {
    const [taken] = await tx.query(
      'select 1 from minqing.local_accounts where email = $1 union all select 1 from public.staff where email = $1',
      [email],
    );
    if (taken) throw new Error(`${email} already has an account; choose another email for the installation administrator.`);
    const [row] = await tx.query<{ id: string }>(
      `insert into minqing.local_accounts (user_id, email, password_hash, must_change_password, password_changed_at)
       values (gen_random_uuid(), $1, $2, true, now()) returning user_id as id`,
      [email, hash],
    );
    await tx.query('insert into minqing.installation_admins (user_id, name) values ($1, $2)', [row!.id, who.name.trim()]);
    return row!.id;
  });
  return { userId, initialPassword };
}
