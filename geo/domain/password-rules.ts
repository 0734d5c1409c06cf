/**
 * What a staff password must be, as pure checks (the API refuses with the reason, the web app
 * says it before sending). Long beats clever: the rules are a length, a mix of letters and
 * digits, and nothing a colleague could guess from the account itself.
 */
export const PASSWORD_TOO_SHORT = 'too_short';
export const PASSWORD_TOO_LONG = 'too_long';
export const PASSWORD_NEEDS_LETTER_AND_DIGIT = 'needs_letter_and_digit';
export const PASSWORD_CONTAINS_EMAIL = 'contains_email';
export const PASSWORD_TOO_COMMON = 'too_common';
export const PASSWORD_SAME_AS_CURRENT = 'same_as_current';

export type PasswordReason =
  | typeof PASSWORD_TOO_SHORT
  | typeof PASSWORD_TOO_LONG
  | typeof PASSWORD_NEEDS_LETTER_AND_DIGIT
  | typeof PASSWORD_CONTAINS_EMAIL
  | typeof PASSWORD_TOO_COMMON
  | typeof PASSWORD_SAME_AS_CURRENT;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

// The first guesses of anyone trying a Chinese office's accounts; matched after lower-casing.
const COMMON = new Set([
  'password123',
  'password1234',
  'qwerty123456',
  'a123456789',
  'abc1234567',
  'abcd123456',
  'qwer123456',
  '1q2w3e4r5t',
  'woaini1314',
  'admin12345',
  'admin123456',
  'demo123456',
  'minqing123',
  'minqing2026',
]);

export type PasswordCheck = { valid: true } | { valid: false; reason: PasswordReason };

export function checkPassword(password: string, context: { email?: string; current?: string } = {}): PasswordCheck {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return { valid: false, reason: PASSWORD_TOO_SHORT };
  if (length > PASSWORD_MAX_LENGTH) return { valid: false, reason: PASSWORD_TOO_LONG };
  if (!/\p{L}/u.test(password) || !/\p{Nd}/u.test(password)) return { valid: false, reason: PASSWORD_NEEDS_LETTER_AND_DIGIT };
  const lower = password.toLowerCase();
  const local = context.email?.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 3 && lower.includes(local)) return { valid: false, reason: PASSWORD_CONTAINS_EMAIL };
  if (COMMON.has(lower)) return { valid: false, reason: PASSWORD_TOO_COMMON };
  if (context.current !== undefined && password === context.current) return { valid: false, reason: PASSWORD_SAME_AS_CURRENT };
  return { valid: true };
}
