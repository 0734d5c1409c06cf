/**
 * A street's code is its 12-digit statistical division code (统计用区划代码): a 6-digit county
 * code (GB/T 2260) whose first two digits are a province, three digits for the township-level
 * unit (街道 001–099, 镇 100–199, 乡 200–399, per GB/T 10114), and 000 for "no village".
 * Checked when a street is set up; the demo street predates the rule and keeps its short code.
 */
export const DIVISION_CODE_NOT_12_DIGITS = 'not_12_digits';
export const DIVISION_CODE_UNKNOWN_PROVINCE = 'unknown_province';
export const DIVISION_CODE_NOT_A_TOWNSHIP = 'not_a_township';

export type DivisionCodeReason =
  | typeof DIVISION_CODE_NOT_12_DIGITS
  | typeof DIVISION_CODE_UNKNOWN_PROVINCE
  | typeof DIVISION_CODE_NOT_A_TOWNSHIP;

export type DivisionCodeCheck = { valid: true } | { valid: false; reason: DivisionCodeReason };

// GB/T 2260 province-level codes (the first two digits).
const PROVINCES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
]);

export function checkStreetCode(code: string): DivisionCodeCheck {
  if (!/^\d{12}$/.test(code)) return { valid: false, reason: DIVISION_CODE_NOT_12_DIGITS };
  if (!PROVINCES.has(code.slice(0, 2))) return { valid: false, reason: DIVISION_CODE_UNKNOWN_PROVINCE };
  // A township-level unit: a township part, and no village part.
  if (code.slice(6, 9) === '000' || code.slice(9) !== '000') return { valid: false, reason: DIVISION_CODE_NOT_A_TOWNSHIP };
  return { valid: true };
}
