/**
 * One row of a visit ledger (走访台账) checked before anything touches the database: the date (a
 * China date, not after today), the 走访方式 and 是否见面 labels onto the schema's visit method and
 * result, the ID number, and that the row says enough to find its household. Which household and
 * visitor it is, and whether the household lived there that day, need the database
 * (api/imports/visit-import.ts). Returns the row and its problems, never throws on bad data.
 */
import { VISIT_METHODS, type VisitMethod, type VisitResult } from '../domain/household';
import type { VisitLedgerMapping } from './field-mapping';
import { isValidIdNumber, parseLedgerDate } from './household-ledger.validation';
import { IMPORT_PROBLEM, type ImportProblem } from './import-problems';

export interface VisitLedgerRow {
  row: number;
  /** The visit's China date, YYYY-MM-DD. */
  date: string;
  headName: string | null;
  idNumber: string | null;
  /** The address column, else the building (楼栋编号) column. */
  address: string | null;
  /** The building column: a building's code, name or address. */
  building: string | null;
  unit: string | null;
  room: string | null;
  visitor: string | null;
  method: VisitMethod;
  result: VisitResult;
  content: string | null;
}

/**
 * 走访方式 as ledgers write it. 微信 is a call on WeChat (语音/视频), the remote visit ledgers
 * record next to 电话; a street whose 微信 means a chat message maps it in `methodLabels`.
 * 代访 / 电话问亲属 … are someone else answering for the household (third_party).
 */
export const METHOD_LABELS: Readonly<Record<string, VisitMethod>> = {
  入户: 'in_person',
  入户走访: 'in_person',
  走访: 'in_person',
  上门: 'in_person',
  上门走访: 'in_person',
  面访: 'in_person',
  面谈: 'in_person',
  当面: 'in_person',
  实地: 'in_person',
  实地走访: 'in_person',
  登门: 'in_person',
  现场: 'in_person',
  电话: 'phone',
  电访: 'phone',
  电话走访: 'phone',
  电话回访: 'phone',
  电话联系: 'phone',
  电话访问: 'phone',
  微信: 'video',
  视频: 'video',
  微信视频: 'video',
  视频通话: 'video',
  微信语音: 'video',
  视频走访: 'video',
  网络: 'video',
  代访: 'third_party',
  第三方: 'third_party',
  亲属代述: 'third_party',
  邻居代述: 'third_party',
  亲友: 'third_party',
  物业: 'third_party',
  in_person: 'in_person',
  phone: 'phone',
  video: 'video',
  third_party: 'third_party',
};

/** 是否见面 as ledgers write it. */
export const MET_LABELS: Readonly<Record<string, VisitResult>> = {
  是: 'met',
  见面: 'met',
  已见面: 'met',
  见到: 'met',
  已见: 'met',
  在家: 'met',
  有: 'met',
  y: 'met',
  yes: 'met',
  '√': 'met',
  '✓': 'met',
  '1': 'met',
  met: 'met',
  否: 'not_home',
  未见面: 'not_home',
  没见面: 'not_home',
  未见: 'not_home',
  未见到: 'not_home',
  不在家: 'not_home',
  无人: 'not_home',
  未遇: 'not_home',
  无: 'not_home',
  n: 'not_home',
  no: 'not_home',
  '×': 'not_home',
  '0': 'not_home',
  not_home: 'not_home',
};

/** The header a field has in a typical ledger: where the file has no such column, problems name this one. */
export const VISIT_LEDGER_COLUMN: Readonly<Record<keyof VisitLedgerMapping, string>> = {
  visitDate: '走访日期',
  headName: '户主姓名',
  idNumber: '身份证号',
  address: '地址',
  building: '楼栋编号',
  unit: '单元',
  room: '房号',
  visitor: '走访人',
  method: '走访方式',
  met: '是否见面',
  content: '民情内容',
};

const clean = (v: unknown): string => (v === null || v === undefined ? '' : String(v)).normalize('NFKC').trim();

/** A 走访日期 cell: a date as the household ledger reads them, also with a time of day after it (2026-03-05 10:30). */
export function parseVisitDate(v: unknown): string | null {
  if (typeof v === 'string') return parseLedgerDate(clean(v).replace(/[\sT]+\d{1,2}[:：]\d{2}([:：]\d{2})?$/, ''));
  return parseLedgerDate(v);
}

/** The earliest date a visit can have (as for visits logged in the product, visit.validation.ts). */
export const EARLIEST_VISIT_DATE = '2000-01-01';

export function validateVisitRow(
  cells: Readonly<Record<string, unknown>>,
  row: number,
  mapping: VisitLedgerMapping,
  today: string,
  methodOverrides: Readonly<Record<string, VisitMethod>> = {},
): { value: VisitLedgerRow | null; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const get = (f: keyof VisitLedgerMapping) => (mapping[f] ? clean(cells[mapping[f]!]) : '');
  // Every row problem names its column: "Row 7, column 走访日期: …".
  const error = (code: ImportProblem['code'], field: keyof VisitLedgerMapping, message: string, details: Record<string, unknown> = {}) => {
    const column = mapping[field] ?? VISIT_LEDGER_COLUMN[field];
    problems.push({
      code,
      severity: 'error',
      row,
      message: `Row ${row}, column ${column}: ${message}`,
      details: { field, column, ...details },
    });
  };

  // The date: there, a date, not before 2000 nor after today (China).
  let date: string | null = null;
  const dateRaw = mapping.visitDate ? cells[mapping.visitDate] : undefined;
  if (clean(dateRaw) === '') error(IMPORT_PROBLEM.MISSING_VALUE, 'visitDate', 'the visit date is empty; fill it in (e.g. 2026-03-05).');
  else {
    date = parseVisitDate(dateRaw);
    if (!date || date < EARLIEST_VISIT_DATE) {
      error(IMPORT_PROBLEM.INVALID_DATE, 'visitDate', `"${clean(dateRaw)}" is not a date from 2000 on; write it as 2026-03-05.`, {
        value: clean(dateRaw),
      });
      date = null;
    } else if (date > today) {
      error(
        IMPORT_PROBLEM.VISIT_IN_FUTURE,
        'visitDate',
        `the visit date ${date} is after today (${today}); a ledger records visits that happened. Correct the date.`,
        { date, today },
      );
    }
  }

  // Enough to find the household: an ID number, or where it lives (with a room or a name).
  const idNumber = get('idNumber').toUpperCase() || null;
  if (idNumber && !isValidIdNumber(idNumber)) {
    error(
      IMPORT_PROBLEM.INVALID_ID_NUMBER,
      'idNumber',
      `the ID number ${idNumber.slice(0, 6)}… is not a valid 18-digit resident ID (format, birth date or check digit); correct it or leave it empty.`,
    );
  }
  const headName = get('headName') || null;
  const building = get('building') || null;
  const address = get('address') || building;
  const room = get('room') || null;
  if (!idNumber) {
    if (!address) {
      error(
        IMPORT_PROBLEM.MISSING_VALUE,
        mapping.address ? 'address' : 'building',
        'without an ID number the household is found by its address or building, which is empty; fill in one of them.',
      );
    } else if (!room && !headName) {
      error(
        IMPORT_PROBLEM.MISSING_VALUE,
        mapping.room ? 'room' : 'headName',
        'without an ID number the household is found by building and room, or by name and address; fill in the room or the name.',
      );
    }
  }

  // How: blank is a home visit (入户), the ledger's default; a label it does not know is an error.
  let method: VisitMethod = 'in_person';
  const methodCell = get('method');
  if (methodCell) {
    const m = methodOverrides[methodCell] ?? METHOD_LABELS[methodCell] ?? METHOD_LABELS[methodCell.toLowerCase()];
    if (m) method = m;
    else {
      error(
        IMPORT_PROBLEM.UNKNOWN_METHOD,
        'method',
        `the method "${methodCell}" is not one the product knows (入户, 电话, 微信/视频, 代访); correct it or map it in the import's method labels.`,
        {
          label: methodCell,
          known: VISIT_METHODS.join(', '),
        },
      );
    }
  }
  // Whether the household was met: blank means met (a ledger row records a visit that took place).
  let result: VisitResult = 'met';
  const metCell = get('met');
  if (metCell) {
    const r = MET_LABELS[metCell] ?? MET_LABELS[metCell.toLowerCase()];
    if (r) result = r;
    else
      error(IMPORT_PROBLEM.UNKNOWN_MET, 'met', `"${metCell}" says neither yes (是/见面) nor no (否/未见面/不在家); correct it.`, {
        label: metCell,
      });
  }

  if (problems.length > 0 || !date) return { value: null, problems };
  return {
    value: {
      row,
      date,
      headName,
      idNumber,
      address,
      building,
      unit: get('unit') || null,
      room,
      visitor: get('visitor') || null,
      method,
      result,
      content: get('content') || null,
    },
    problems,
  };
}
