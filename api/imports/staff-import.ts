/**
 * Staff rosters (花名册) from CSV or XLSX: each row a person with a role, a community and grids,
 * each checked and located (row and column); the commit creates each staff member and their
 * sign-in exactly as POST /api/staff does (api/staff/staff-members.ts) and answers with each
 * account's one-time password, which nothing keeps. docs/import-export.md.
 *
 * All or nothing: a roster with any error commits nothing (its dry run keeps no rows), because
 * a team half created is worse than none — the missing people would not know why.
 * Re-importing: a row whose email belongs to staff of the street with the same name is that
 * person, already there — a warning, and the row is left as it is (changes to people who exist
 * are made on the 人员管理 screen, where the audit log records who made them). The same email
 * with another name, or held outside the street, is taken: an error.
 */
import { MANAGEABLE_ROLES, mayManageRole, type StaffRole } from '../../geo/domain/staff';
import { guessStaffMapping, type StaffField, type StaffMapping } from '../../geo/import/field-mapping';
import { IMPORT_PROBLEM, type ImportProblem } from '../../geo/import/import-problems';
import { type RosterRow, validateRosterRow } from '../../geo/import/staff-roster.validation';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { createStaffMember, GRID_ROLES, type Manager, prepareInitialPassword } from '../staff/staff-members';
import { requireMappedColumns } from './household-import';
import type { TableFile } from './read-file';

/** A roster row as the commit writes it: references resolved to ids. No password: made at commit. */
export interface StaffImportRow {
  row: number;
  name: string;
  email: string;
  phone: string | null;
  role: StaffRole;
  communityId: number | null;
  gridIds: number[];
}

export interface StaffDryRun {
  mapping: StaffMapping;
  fields: string[];
  counts: { rows: number; valid: number; toInsert: number; alreadyPresent: number; skipped: number };
  problems: ImportProblem[];
  rows: StaffImportRow[];
}

const REQUIRED: StaffField[] = ['name', 'email', 'role'];
const STREET_ROLES: readonly StaffRole[] = ['street_leader', 'presenter'];

interface Community {
  id: number;
  name: string;
  code: string | null;
}
interface Grid {
  id: number;
  code: string;
  name: string;
  communityId: number;
}

const norm = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

export async function dryRunStaff(tx: Queryable, manager: Manager, table: TableFile, override: StaffMapping): Promise<StaffDryRun> {
  requireMappedColumns(table, override);
  const mapping: StaffMapping = { ...guessStaffMapping(table.headers), ...override };
  const problems: ImportProblem[] = [];
  const counts = { rows: table.rows.length, valid: 0, toInsert: 0, alreadyPresent: 0, skipped: table.rows.length };
  const missing = REQUIRED.filter((f) => !mapping[f]);
  if (missing.length) {
    problems.push({
      code: IMPORT_PROBLEM.MISSING_COLUMN,
      severity: 'error',
      row: 1,
      message: `The header (row 1) has no column for ${missing.join(', ')} (姓名, 邮箱, 角色); rename the column or map it in the import. Columns found: ${table.headers.join(', ')}.`,
      details: { missing, fields: missing.map((f) => `staff_${f}`), headers: table.headers },
    });
    return { mapping, fields: table.headers, counts, problems, rows: [] };
  }

  // The street's communities and live grids, as the caller reads them (their street).
  const communities = await tx.query<Community>(`select id, name, code from public.communities order by id`);
  const grids = await tx.query<Grid>(
    `select id, code, name, community_id as "communityId" from public.grids where retired_at is null order by id`,
  );
  const communityOf = (ref: string) =>
    communities.find((c) => c.code !== null && c.code === ref) ?? communities.find((c) => norm(c.name) === norm(ref));
  const communityName = (id: number) => communities.find((c) => c.id === id)?.name ?? String(id);
  /** A grid by code anywhere in the street, else by name: in the row's community first (names repeat across communities). */
  const gridOf = (ref: string, communityId: number | null) =>
    grids.find((g) => g.code === ref) ??
    grids.find((g) => g.communityId === communityId && norm(g.name) === norm(ref)) ??
    grids.find((g) => norm(g.name) === norm(ref));

  const error = (row: number, code: ImportProblem['code'], message: string, details: Record<string, unknown>) =>
    problems.push({ code, severity: 'error', row, message: `Row ${row}: ${message}`, details });

  const resolved: StaffImportRow[] = [];
  const firstRowOf = new Map<string, number>();
  for (const { row, cells } of table.rows) {
    const checked = validateRosterRow(cells, row, mapping);
    problems.push(...checked.problems);
    const v: RosterRow | null = checked.value;
    if (!v) continue;
    const first = firstRowOf.get(v.email);
    if (first !== undefined) {
      error(
        row,
        IMPORT_PROBLEM.DUPLICATE_EMAIL,
        `the email ${v.email} is also on row ${first}; each person signs in with an email of their own.`,
        {
          email: v.email,
          duplicateOf: first,
          column: mapping.email!,
        },
      );
      continue;
    }
    firstRowOf.set(v.email, row);
    const r = resolveScope(v, mapping, manager, { communityOf, gridOf, communityName }, error);
    if (r) resolved.push(r);
  }

  // The role ceiling and scope: the one rule the database enforces (minqing.may_manage_staff).
  const allowed = await tx.query<{ ok: boolean }>(
    `select minqing.may_manage_staff(r.role::public.staff_role, $1, r.community_id) as ok
     from unnest($2::text[], $3::int[]) with ordinality as r(role, community_id, ord) order by r.ord`,
    [manager.streetId, resolved.map((r) => r.role), resolved.map((r) => r.communityId)],
  );
  const permitted = resolved.filter((r, i) => {
    if (allowed[i]?.ok) return true;
    const reason = mayManageRole(manager.role, r.role) ? 'scope' : 'role';
    error(
      r.row,
      IMPORT_PROBLEM.ROLE_NOT_ALLOWED,
      reason === 'role'
        ? `you cannot create a ${r.role}: the roles you manage are ${MANAGEABLE_ROLES[manager.role].join(', ')}.`
        : `community ${communityName(r.communityId!)} is outside the community you manage; import only your own community's staff.`,
      {
        reason,
        role: r.role,
        allowed: MANAGEABLE_ROLES[manager.role],
        column: mapping[reason === 'role' ? 'role' : 'community'] ?? mapping.role!,
        ...(reason === 'scope' ? { community: communityName(r.communityId!) } : {}),
      },
    );
    return false;
  });

  // Emails: free, this same person already in the street (a re-import), or someone else's.
  const status = new Map(
    (
      await tx.query<{ email: string; status: 'free' | 'same_person' | 'taken' }>(
        `select email, status from minqing.roster_email_status($1, $2)`,
        [permitted.map((r) => r.email), permitted.map((r) => r.name)],
      )
    ).map((s) => [s.email, s.status]),
  );
  const rows: StaffImportRow[] = [];
  for (const r of permitted) {
    const s = status.get(r.email) ?? 'free';
    if (s === 'taken') {
      error(
        r.row,
        IMPORT_PROBLEM.EMAIL_TAKEN,
        `the email ${r.email} already belongs to another account; give ${r.name} an email of their own.`,
        {
          email: r.email,
          column: mapping.email!,
        },
      );
    } else if (s === 'same_person') {
      counts.alreadyPresent++;
      problems.push({
        code: IMPORT_PROBLEM.ALREADY_PRESENT,
        severity: 'warning',
        row: r.row,
        message: `Row ${r.row}: ${r.name} (${r.email}) is already staff of the street; the row is left as it is (change the person on the staff screen).`,
        details: { email: r.email, name: r.name },
      });
    } else rows.push(r);
  }

  const rowsWithErrors = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.row));
  counts.valid = counts.rows - rowsWithErrors.size;
  // All or nothing: with any error, nothing is kept to commit.
  const ok = rowsWithErrors.size === 0;
  counts.toInsert = ok ? rows.length : 0;
  counts.skipped = counts.rows - counts.toInsert;
  problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  return { mapping, fields: table.headers, counts, problems, rows: ok ? rows : [] };
}

/** The row's community and grids as ids, with what is wrong with them said where it is. */
function resolveScope(
  v: RosterRow,
  mapping: StaffMapping,
  manager: Manager,
  find: {
    communityOf: (ref: string) => Community | undefined;
    gridOf: (ref: string, communityId: number | null) => Grid | undefined;
    communityName: (id: number) => string;
  },
  error: (row: number, code: ImportProblem['code'], message: string, details: Record<string, unknown>) => void,
): StaffImportRow | null {
  const { row } = v;
  let bad = false;
  const fail = (code: ImportProblem['code'], message: string, details: Record<string, unknown>) => {
    bad = true;
    error(row, code, message, details);
  };
  const streetRole = STREET_ROLES.includes(v.role);
  let communityId: number | null = null;
  if (v.community && !streetRole) {
    const c = find.communityOf(v.community);
    if (c) communityId = c.id;
    else
      fail(
        IMPORT_PROBLEM.UNKNOWN_COMMUNITY,
        `no community of the street is named or coded "${v.community}" (column ${mapping.community}).`,
        { value: v.community, column: mapping.community! },
      );
  }
  if (v.grids.length && !GRID_ROLES.includes(v.role)) {
    fail(
      IMPORT_PROBLEM.GRIDS_FOR_NON_GRID_ROLE,
      `a ${v.role} serves no grid; leave column ${mapping.grids} empty, or give the role 网格长 or 网格员.`,
      { role: v.role, column: mapping.grids! },
    );
    return null;
  }
  const gridIds: number[] = [];
  const found: Grid[] = [];
  for (const ref of v.grids) {
    const g = find.gridOf(ref, communityId);
    if (!g)
      fail(IMPORT_PROBLEM.UNKNOWN_GRID, `no grid of the street has the code or name "${ref}" (column ${mapping.grids}).`, {
        value: ref,
        column: mapping.grids!,
      });
    else found.push(g);
  }
  if (bad) return null;
  // No community written: community staff import into their own; else the grids' community, if they agree.
  if (communityId === null && !streetRole) {
    const theirs = new Set(found.map((g) => g.communityId));
    communityId = manager.role === 'community_staff' ? manager.communityId : theirs.size === 1 ? [...theirs][0]! : null;
    if (communityId === null) {
      fail(
        IMPORT_PROBLEM.COMMUNITY_REQUIRED,
        `a ${v.role} belongs to a community; fill in column ${mapping.community ?? '社区'} with the community's name or code.`,
        {
          role: v.role,
          column: mapping.community ?? '社区',
        },
      );
      return null;
    }
  }
  for (const g of found) {
    if (g.communityId !== communityId) {
      fail(
        IMPORT_PROBLEM.GRID_NOT_IN_COMMUNITY,
        `grid ${g.code} (${g.name}) belongs to ${find.communityName(g.communityId)}, not to ${find.communityName(communityId!)}.`,
        {
          grid: `${g.name}（${g.code}）`,
          gridCommunity: find.communityName(g.communityId),
          community: find.communityName(communityId!),
          column: mapping.grids!,
        },
      );
    } else if (!gridIds.includes(g.id)) gridIds.push(g.id);
  }
  if (bad) return null;
  return { row, name: v.name, email: v.email, phone: v.phone, role: v.role, communityId, gridIds };
}

export interface CreatedAccount {
  row: number;
  staffId: number;
  name: string;
  email: string;
  role: StaffRole;
  /** The one-time password: in this answer only, never stored. */
  initialPassword?: string;
  /** Supabase mode: linked to an existing Auth user with this email. */
  linked?: boolean;
}

/** Creates each row's staff member and sign-in, in the commit's transaction; any refusal rolls all back. */
export async function commitStaff(
  tx: Queryable,
  manager: Manager,
  rows: StaffImportRow[],
  opts: { supabase: boolean; alreadyPresent: number },
) {
  // Hashed side by side before the writes: ~100 ms each, on the thread pool.
  const passwords = opts.supabase ? [] : await Promise.all(rows.map(() => prepareInitialPassword()));
  const accounts: CreatedAccount[] = [];
  for (const [i, r] of rows.entries()) {
    const created = await createStaffMember(tx, manager.streetId, r, { supabase: opts.supabase, password: passwords[i] }).catch(
      (e: unknown) => {
        if ((e as { code?: string }).code === '23505') {
          throw new ApiError(
            409,
            'import_conflict',
            `Row ${r.row}: the email ${r.email} was taken since the dry run; nothing was written. Run the import again.`,
            { row: r.row },
          );
        }
        throw e;
      },
    );
    accounts.push({
      row: r.row,
      staffId: created.staff.id,
      name: r.name,
      email: r.email,
      role: r.role,
      ...('initialPassword' in created ? { initialPassword: created.initialPassword } : { linked: created.linked }),
    });
  }
  return { counts: { inserted: accounts.length, alreadyPresent: opts.alreadyPresent }, accounts };
}
