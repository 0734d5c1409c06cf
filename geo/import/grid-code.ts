/**
 * Grid codes (网格编码) in the scheme most cities follow: 15 digits =
 *   district (区县, 6: the GB/T 2260 administrative division code, e.g. 360102)
 *   + street (街道, 3) + community (社区, 3) + grid sequence (3, 001–999),
 * with grids numbered in reading order over the map: rows from north to south, west to east in a
 * row. A city with its own scheme keeps its codes: `validateGridCode` accepts any code matching
 * a caller's pattern, and imports keep codes as given (reporting non-standard ones).
 */

export const GRID_CODE_PATTERN = /^(\d{6})(\d{3})(\d{3})(\d{3})$/;

export const GRID_CODE_REASON = {
  FORMAT: 'format',
  ZERO_PART: 'zero_part',
  PREFIX_MISMATCH: 'prefix_mismatch',
  /** Not the street's own pattern (streets.grid_code_pattern). */
  STREET_PATTERN: 'street_pattern',
} as const;
export type GridCodeReason = (typeof GRID_CODE_REASON)[keyof typeof GRID_CODE_REASON];

export interface GridCodeParts {
  district: string;
  street: string;
  community: string;
  sequence: number;
}

export type GridCodeCheck = { valid: true; parts: GridCodeParts | null } | { valid: false; reason: GridCodeReason };

/**
 * Checks a code against the 15-digit scheme, or against a city's own pattern when given. With a
 * community prefix (12 digits), the code must also belong to that community.
 */
export function validateGridCode(code: string, opts: { communityPrefix?: string; pattern?: RegExp } = {}): GridCodeCheck {
  if (opts.pattern) return opts.pattern.test(code) ? { valid: true, parts: null } : { valid: false, reason: GRID_CODE_REASON.FORMAT };
  const m = GRID_CODE_PATTERN.exec(code);
  if (!m) return { valid: false, reason: GRID_CODE_REASON.FORMAT };
  const [, district, street, community, seq] = m as unknown as [string, string, string, string, string];
  if (/^0+$/.test(district) || street === '000' || community === '000' || seq === '000') {
    return { valid: false, reason: GRID_CODE_REASON.ZERO_PART };
  }
  if (opts.communityPrefix && !code.startsWith(opts.communityPrefix)) return { valid: false, reason: GRID_CODE_REASON.PREFIX_MISMATCH };
  return { valid: true, parts: { district, street, community, sequence: Number(seq) } };
}

/** The 12-digit prefix of a community's grids. Throws on a malformed part: the caller's configuration is wrong. */
export function communityPrefix(district: string, street: string, community: string): string {
  if (!/^\d{6}$/.test(district) || /^0+$/.test(district)) throw new Error(`district code must be 6 digits, not ${district}`);
  if (!/^\d{3}$/.test(street) || street === '000') throw new Error(`street code must be 3 digits 001–999, not ${street}`);
  if (!/^\d{3}$/.test(community) || community === '000') throw new Error(`community code must be 3 digits 001–999, not ${community}`);
  return district + street + community;
}

export interface GridToNumber<K> {
  key: K;
  /** A point inside the grid (its label point or point on surface), [lon, lat]. */
  point: readonly [number, number];
  /** The grid's north–south extent in degrees: rows are as tall as half the median grid. */
  height: number;
}

/**
 * Codes for a community's grids in reading order: grids whose points lie within half a median
 * grid height of the row's first (northernmost) point form a row, numbered west to east; rows
 * run north to south. Deterministic for equal points (input order breaks ties). `firstSequence`
 * continues a community's numbering when grids are added to it.
 */
export function generateGridCodes<K>(prefix: string, grids: readonly GridToNumber<K>[], firstSequence = 1): { key: K; code: string }[] {
  if (!/^\d{12}$/.test(prefix)) throw new Error(`grid code prefix must be 12 digits, not ${prefix}`);
  if (firstSequence < 1 || grids.length + firstSequence - 1 > 999)
    throw new Error('a community holds at most 999 grids in the 15-digit scheme');
  const heights = grids.map((g) => g.height).sort((a, b) => a - b);
  const band = (heights[Math.floor(heights.length / 2)] ?? 0) / 2;
  const byNorth = grids.map((g, i) => ({ g, i })).sort((a, b) => b.g.point[1] - a.g.point[1] || a.i - b.i);
  const rows: (typeof byNorth)[] = [];
  for (const item of byNorth) {
    const row = rows[rows.length - 1];
    if (row && row[0]!.g.point[1] - item.g.point[1] <= band) row.push(item);
    else rows.push([item]);
  }
  const ordered = rows.flatMap((row) => row.sort((a, b) => a.g.point[0] - b.g.point[0] || a.i - b.i));
  return ordered.map(({ g }, n) => ({ key: g.key, code: prefix + String(n + firstSequence).padStart(3, '0') }));
}

/**
 * The scheme a street declares (streets.grid_code_pattern; docs/import-export.md "Grid codes"):
 * null for the 15-digit scheme, where a community whose own code is the 12-digit prefix holds
 * only codes that start with it; else the street's own anchored regular expression.
 */
export interface GridCodeScheme {
  streetPattern: string | null;
  communityCode: string;
}

/**
 * Checks a code typed for one grid against its street's scheme. A pattern that does not compile
 * is the administrator's configuration error and throws.
 */
export function validateGridCodeInScheme(code: string, scheme: GridCodeScheme): GridCodeCheck {
  if (scheme.streetPattern !== null) {
    const check = validateGridCode(code, { pattern: new RegExp(scheme.streetPattern, 'u') });
    return check.valid ? check : { valid: false, reason: GRID_CODE_REASON.STREET_PATTERN };
  }
  return validateGridCode(code, { communityPrefix: /^\d{12}$/.test(scheme.communityCode) ? scheme.communityCode : undefined });
}

/** The hint shown beside a code field: what a valid code of this grid looks like. */
export function gridCodeExample(scheme: GridCodeScheme): string | null {
  if (scheme.streetPattern !== null) return null;
  return /^\d{12}$/.test(scheme.communityCode) ? `${scheme.communityCode}001` : '360102001002001';
}
