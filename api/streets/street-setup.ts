/**
 * How a street comes into being: the first setup of an empty installation (no caller yet, so
 * run as the owner, once), and further streets by an installation administrator (run as the
 * caller: the database's public.create_street refuses anyone else). Both go through
 * minqing.create_street_with_leader, so a street always starts with exactly one leader.
 */
import { type Locale, translate } from '../../geo/i18n/strings';
import type { Database, Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export interface StreetSetup {
  street: { name: string; code: string };
  leader: { name: string; email: string };
  /** The leader's password hash; null on Supabase, whose Auth keeps passwords. */
  passwordHash: string | null;
  /** On Supabase, the signed-in Auth user who sets the street up becomes its leader. */
  authUserId?: string;
  /** The language of the refusals, and where the leader is in the request (for the error's path). */
  locale: Locale;
  leaderField: 'admin' | 'leader';
}

export interface CreatedStreet {
  streetId: number;
  staffId: number;
  userId: string | null;
}

/**
 * Whether the installation has no street yet and nobody to create one: the web app then shows
 * the setup page. An installation administrator (added from the command line) creates streets
 * from their own page instead, so their installation opens at the sign-in page.
 */
export async function setupNeeded(db: Queryable): Promise<boolean> {
  const [row] = await db.query<{ streets: number; admins: number }>(
    'select (select count(*)::int from public.streets) as streets, (select count(*)::int from minqing.installation_admins) as admins',
  );
  return row!.streets === 0 && row!.admins === 0;
}

const CREATED = `street_id as "streetId", staff_id as "staffId", user_id as "userId"`;

/** A taken street code or leader email as a 409 naming it; anything else as is. */
function duplicate(err: unknown, input: StreetSetup): never {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505') {
    const where = `${e.constraint ?? ''} ${e.message ?? ''}`;
    if (/streets_code/.test(where)) {
      throw new ApiError(409, 'code_taken', translate(input.locale, 'setup_codeTaken', { code: input.street.code }), [
        { path: 'street.code', reason: 'taken' },
      ]);
    }
    if (/email/.test(where)) {
      throw new ApiError(409, 'email_taken', translate(input.locale, 'staffError_emailTaken', { email: input.leader.email }), [
        { path: `${input.leaderField}.email`, reason: 'taken' },
      ]);
    }
  }
  throw err;
}

/**
 * The installation's first street, while there is none. Two setups racing (two tabs, a double
 * click) meet at the advisory lock; the second finds the street and gets 409 already_set_up.
 */
export async function setUpFirstStreet(db: Database, input: StreetSetup): Promise<CreatedStreet> {
  return db
    .transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('minqing.first_setup'))`);
      if (!(await setupNeeded(tx))) {
        throw new ApiError(409, 'already_set_up', translate(input.locale, 'setup_alreadySetUp'));
      }
      const [row] = await tx.query<CreatedStreet>(`select ${CREATED} from minqing.create_street_with_leader($1, $2, $3, $4, $5, false)`, [
        input.street.name,
        input.street.code,
        input.leader.name,
        input.leader.email,
        input.passwordHash,
      ]);
      if (input.authUserId) {
        await tx.query('update public.staff set user_id = $2 where id = $1', [row!.staffId, input.authUserId]);
        row!.userId = input.authUserId;
      }
      return row!;
    })
    .catch((err: unknown) => duplicate(err, input));
}

/** A further street and its first leader (one-time password), by an installation administrator. */
export async function createStreet(tx: Queryable, input: StreetSetup): Promise<CreatedStreet> {
  try {
    const [row] = await tx.query<CreatedStreet>(`select ${CREATED} from public.create_street($1, $2, $3, $4, $5)`, [
      input.street.name,
      input.street.code,
      input.leader.name,
      input.leader.email,
      input.passwordHash,
    ]);
    return row!;
  } catch (err) {
    duplicate(err, input);
  }
}

export interface InstallationStreet {
  id: number;
  code: string;
  name: string;
  isDemo: boolean;
  createdAt: string;
  communities: number;
  grids: number;
  staff: number;
  households: number;
}

export async function installationStreets(tx: Queryable): Promise<InstallationStreet[]> {
  return tx.query<InstallationStreet>(
    `select id, code, name, is_demo as "isDemo", created_at as "createdAt", communities, grids, staff, households
     from public.installation_streets()`,
  );
}
