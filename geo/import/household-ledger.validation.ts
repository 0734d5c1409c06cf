/**
 * One ledger row checked before anything touches the database: required values, the resident ID
 * number's check digit (GB 11643), the phone's shape, the categories' labels, members, date.
 * Returns the row as the schema wants it and its problems, never throws on bad data.
 */
import type { HouseholdCategory } from '../domain/household';
import { type LedgerMapping, mapCategoryLabels } from './field-mapping';
import { IMPORT_PROBLEM, type ImportProblem } from './import-problems';

export interface LedgerRow {
  row: number;
  headName: string;
  idNumber: string | null;
  phone: string | null;
  /** What finds the building: the address column, else the building (楼栋) column, or both joined. */
  address: string;
  building: string | null;
  unit: string | null;
  room: string;
  categories: HouseholdCategory[];
  members: number;
  movedIn: string | null;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** GB 11643-1999: 17 digits, a valid birth date, and the mod-11 check character. */
export function isValidIdNumber(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  const sum = ID_WEIGHTS.reduce((s, w, i) => s + w * Number(id[i]), 0);
  return ID_CHECK[sum % 11] === id[17];
}

/** A ledger's phone cell as a number to check: spaces and brackets dropped, and China's +86 prefix. */
export const normalisePhone = (raw: string): string | null => raw.replace(/[\s()（）]/g, '').replace(/^\+?86-?/, '') || null;

/** Mobile 1[3-9]x, or a landline with area code (0791-86881234, 86881234). */
export function isValidPhone(phone: string): boolean {
  return /^1[3-9]\d{9}$/.test(phone) || /^(0\d{2,3}-?)?\d{7,8}(-\d{1,5})?$/.test(phone);
}

const clean = (v: unknown): string => (v === null || v === undefined ? '' : String(v)).normalize('NFKC').trim();

/** Spreadsheets give dates as Date, as Excel serial numbers, or as text in a few local forms. */
export function parseLedgerDate(v: unknown): string | null {
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 10);
  if (typeof v === 'number' && v > 20000 && v < 80000) {
    return new Date(Date.UTC(1899, 11, 30) + v * 86400000).toISOString().slice(0, 10);
  }
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(clean(v));
  if (!m) return null;
  const iso = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso ? iso : null;
}

export function validateLedgerRow(
  cells: Readonly<Record<string, unknown>>,
  row: number,
  mapping: LedgerMapping,
  categoryOverrides: Readonly<Record<string, HouseholdCategory>> = {},
): { value: LedgerRow | null; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const get = (f: keyof LedgerMapping) => (mapping[f] ? clean(cells[mapping[f]!]) : '');
  const error = (code: ImportProblem['code'], message: string, details?: Record<string, unknown>) =>
    problems.push({ code, severity: 'error', message: `Row ${row}: ${message}`, row, ...(details ? { details } : {}) });
  const warn = (code: ImportProblem['code'], message: string, details?: Record<string, unknown>) =>
    problems.push({ code, severity: 'warning', message: `Row ${row}: ${message}`, row, ...(details ? { details } : {}) });

  const headName = get('headName');
  if (!headName)
    error(IMPORT_PROBLEM.MISSING_VALUE, `the name (${mapping.headName ?? '姓名'}) is empty; fill it in.`, {
      field: 'headName',
      column: mapping.headName ?? '姓名',
    });
  const room = get('room');
  if (!room)
    error(IMPORT_PROBLEM.MISSING_VALUE, `the room (${mapping.room ?? '房号'}) is empty; fill it in.`, {
      field: 'room',
      column: mapping.room ?? '房号',
    });
  const building = get('building') || null;
  const addressCell = get('address');
  const address = addressCell || building || '';
  if (!address)
    error(
      IMPORT_PROBLEM.MISSING_VALUE,
      'neither the address (地址) nor the building (楼栋) is filled in; one is needed to find the building.',
      { field: 'address', column: `${mapping.address ?? '地址'}/${mapping.building ?? '楼栋'}` },
    );

  const idRaw = get('idNumber').toUpperCase();
  const idNumber = idRaw || null;
  if (idNumber && !isValidIdNumber(idNumber)) {
    error(
      IMPORT_PROBLEM.INVALID_ID_NUMBER,
      `the ID number ${idNumber.slice(0, 6)}… is not a valid 18-digit resident ID (format, birth date or check digit); correct it or leave it empty.`,
    );
  }
  const phone = normalisePhone(get('phone'));
  if (phone && !isValidPhone(phone)) {
    error(
      IMPORT_PROBLEM.INVALID_PHONE,
      `the phone number "${phone}" is neither an 11-digit mobile nor a landline; correct it or leave it empty.`,
    );
  }

  const catCell = get('categories');
  const { categories, unknown } = mapCategoryLabels(catCell, categoryOverrides);
  for (const label of unknown) {
    warn(
      IMPORT_PROBLEM.UNKNOWN_CATEGORY,
      `the category "${label}" is not one the product knows; it is ignored (map it in the import's category mapping to keep it).`,
      { label },
    );
  }

  let members = 1;
  const membersCell = get('members');
  if (membersCell) {
    members = Number(membersCell);
    if (!Number.isInteger(members) || members < 1 || members > 50) {
      error(IMPORT_PROBLEM.INVALID_MEMBERS, `the member count "${membersCell}" is not a whole number from 1 to 50.`, {
        value: membersCell,
      });
    }
  }
  let movedIn: string | null = null;
  const movedCellRaw = mapping.movedIn ? cells[mapping.movedIn] : undefined;
  if (movedCellRaw !== undefined && movedCellRaw !== null && clean(movedCellRaw) !== '') {
    movedIn = parseLedgerDate(movedCellRaw);
    if (!movedIn)
      error(IMPORT_PROBLEM.INVALID_DATE, `the date "${clean(movedCellRaw)}" is not a date; write it as 2024-03-01.`, {
        value: clean(movedCellRaw),
      });
  }

  if (problems.some((p) => p.severity === 'error')) return { value: null, problems };
  return {
    value: {
      row,
      headName,
      idNumber,
      phone,
      address,
      building,
      unit: get('unit') || null,
      room,
      categories: categories.length ? categories : ['ordinary'],
      members,
      movedIn,
    },
    problems,
  };
}

/** Addresses compared loosely: full-width to half-width, no spaces, 号楼/栋/幢 written alike. */
export function normaliseAddress(a: string): string {
  return a
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/(号楼|幢|栋)/g, '栋')
    .toLowerCase();
}
