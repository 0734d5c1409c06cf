/**
 * One row of a staff roster (花名册) checked before anything touches the database: a name, an
 * email to sign in with, a phone of the right shape, a role label the product knows. The
 * community and grid cells are only split here; the database decides whether they exist and
 * whether the importer may give them (api/imports/staff-import.ts). Never throws on bad data.
 */
import { STAFF_ROLES, type StaffRole } from '../domain/staff';
import type { StaffMapping } from './field-mapping';
import { isValidPhone, normalisePhone } from './household-ledger.validation';
import { IMPORT_PROBLEM, type ImportProblem } from './import-problems';

/**
 * Role labels as street offices write them, onto the staff_role enum. Also each role's label in
 * the three interface languages (geo/i18n/strings.ts role_*) and the enum names themselves.
 */
export const ROLE_LABELS: Readonly<Record<string, StaffRole>> = {
  街道领导: 'street_leader',
  街道干部: 'street_leader',
  街道书记: 'street_leader',
  街道主任: 'street_leader',
  街道領導: 'street_leader',
  社区工作人员: 'community_staff',
  社区工作者: 'community_staff',
  社区干部: 'community_staff',
  社区书记: 'community_staff',
  社区主任: 'community_staff',
  社区专干: 'community_staff',
  社工: 'community_staff',
  社區工作者: 'community_staff',
  社區工作人員: 'community_staff',
  网格长: 'grid_leader',
  网格组长: 'grid_leader',
  網格長: 'grid_leader',
  网格员: 'grid_member',
  专职网格员: 'grid_member',
  兼职网格员: 'grid_member',
  楼栋长: 'grid_member',
  单元长: 'grid_member',
  民警: 'grid_member',
  社区民警: 'grid_member',
  志愿者: 'grid_member',
  網格員: 'grid_member',
  樓棟長: 'grid_member',
  会议投影: 'presenter',
  投影: 'presenter',
  會議投影: 'presenter',
  streetleader: 'street_leader',
  communitystaff: 'community_staff',
  gridleader: 'grid_leader',
  gridmember: 'grid_member',
  meetingprojector: 'presenter',
  ...Object.fromEntries(STAFF_ROLES.map((r) => [r.replace(/_/g, ''), r])),
};

const clean = (v: unknown): string => (v === null || v === undefined ? '' : String(v)).normalize('NFKC').trim();

/** The role a label names, or null: full-width, case, spaces and underscores do not matter. */
export function roleOfLabel(label: string): StaffRole | null {
  const key = label
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_-]/g, '');
  return ROLE_LABELS[key] ?? null;
}

/** A grid cell's references: several separated by 、 , ; or spaces (half- or full-width). */
export function splitGridRefs(cell: string): string[] {
  return [
    ...new Set(
      cell
        .normalize('NFKC')
        .split(/[、,;\s]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

// A practical shape (what the API's zod schema also accepts): something@domain.tld, no spaces.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface RosterRow {
  row: number;
  name: string;
  /** Lower-cased: sign-ins compare emails without case. */
  email: string;
  phone: string | null;
  role: StaffRole;
  /** The community cell as written (name or code), or null. */
  community: string | null;
  /** The grid cell split into references (codes or names). */
  grids: string[];
}

export function validateRosterRow(
  cells: Readonly<Record<string, unknown>>,
  row: number,
  mapping: StaffMapping,
): { value: RosterRow | null; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const get = (f: keyof StaffMapping) => (mapping[f] ? clean(cells[mapping[f]!]) : '');
  // details.field is `staff_…`: the wizard names it with import_field_staff_… (a person's 姓名, not a feature's 名称).
  const error = (code: ImportProblem['code'], message: string, details: Record<string, unknown>) =>
    problems.push({ code, severity: 'error', message: `Row ${row}: ${message}`, row, details });

  const name = get('name');
  if (!name)
    error(IMPORT_PROBLEM.MISSING_VALUE, `the name (${mapping.name ?? '姓名'}) is empty; fill it in.`, {
      field: 'staff_name',
      column: mapping.name ?? '姓名',
    });

  const email = get('email').toLowerCase();
  if (!email) {
    error(IMPORT_PROBLEM.MISSING_VALUE, `the email (${mapping.email ?? '邮箱'}) is empty; every account signs in with its email.`, {
      field: 'staff_email',
      column: mapping.email ?? '邮箱',
    });
  } else if (!EMAIL.test(email) || email.length > 254) {
    error(IMPORT_PROBLEM.INVALID_EMAIL, `"${email}" in column ${mapping.email} is not an email address; write it as name@example.org.`, {
      value: email,
      column: mapping.email!,
    });
  }

  const phone = normalisePhone(get('phone'));
  if (phone && !isValidPhone(phone)) {
    error(
      IMPORT_PROBLEM.INVALID_PHONE,
      `the phone number "${phone}" in column ${mapping.phone} is neither an 11-digit mobile nor a landline; correct it or leave it empty.`,
      {
        value: phone,
        column: mapping.phone!,
      },
    );
  }

  const roleCell = get('role');
  const role = roleCell ? roleOfLabel(roleCell) : null;
  if (!roleCell) {
    error(IMPORT_PROBLEM.MISSING_VALUE, `the role (${mapping.role ?? '角色'}) is empty; write 社区工作人员, 网格长 or 网格员.`, {
      field: 'staff_role',
      column: mapping.role ?? '角色',
    });
  } else if (!role) {
    error(
      IMPORT_PROBLEM.UNKNOWN_ROLE,
      `the role "${roleCell}" in column ${mapping.role} is not one the product knows; write 街道领导, 社区工作人员, 网格长 or 网格员.`,
      {
        value: roleCell,
        column: mapping.role!,
      },
    );
  }

  if (problems.length > 0 || !role) return { value: null, problems };
  return { value: { row, name, email, phone, role, community: get('community') || null, grids: splitGridRefs(get('grids')) }, problems };
}
