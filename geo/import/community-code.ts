/**
 * Community codes (社区编码). A street in the 统计用区划代码 scheme has a 9-digit code (district 6 +
 * street 3, as the demo street's 360102001) or the same padded to 12 with 000; its communities
 * (居委会/村委会) then carry the 12-digit code: the street's 9 digits + 3 digits 001–999
 * (360102001001), which is also the prefix of their grids' 15-digit codes (grid-code.ts). A
 * street outside that scheme keeps its own codes: any 1–32 letters, digits, '-' or '_'.
 */

export const COMMUNITY_CODE_REASON = {
  MISSING: 'missing',
  FORMAT: 'format',
  ZERO_PART: 'zero_part',
  PREFIX_MISMATCH: 'prefix_mismatch',
} as const;
export type CommunityCodeReason = (typeof COMMUNITY_CODE_REASON)[keyof typeof COMMUNITY_CODE_REASON];

export type CommunityCodeCheck = { valid: true } | { valid: false; reason: CommunityCodeReason; example: string };

const OWN_SCHEME = /^[A-Za-z0-9_-]{1,32}$/;

/** The street's 9-digit prefix when its code is in the 统计用区划代码 scheme, else null. */
export function streetPrefix(streetCode: string): string | null {
  const m = /^(\d{9})(000)?$/.exec(streetCode);
  return m && !/^0+$/.test(m[1]!.slice(0, 6)) && m[1]!.slice(6) !== '000' ? m[1]! : null;
}

/** An example of a valid code for a community of this street (for messages and hints). */
export function communityCodeExample(streetCode: string): string {
  const prefix = streetPrefix(streetCode);
  return prefix ? `${prefix}001` : 'SQ-01';
}

/** Checks a community code against its street's scheme. */
export function validateCommunityCode(code: string | null | undefined, streetCode: string): CommunityCodeCheck {
  const example = communityCodeExample(streetCode);
  if (!code) return { valid: false, reason: COMMUNITY_CODE_REASON.MISSING, example };
  const prefix = streetPrefix(streetCode);
  if (!prefix) return OWN_SCHEME.test(code) ? { valid: true } : { valid: false, reason: COMMUNITY_CODE_REASON.FORMAT, example };
  if (!/^\d{12}$/.test(code)) return { valid: false, reason: COMMUNITY_CODE_REASON.FORMAT, example };
  if (!code.startsWith(prefix)) return { valid: false, reason: COMMUNITY_CODE_REASON.PREFIX_MISMATCH, example };
  if (code.endsWith('000')) return { valid: false, reason: COMMUNITY_CODE_REASON.ZERO_PART, example };
  return { valid: true };
}
