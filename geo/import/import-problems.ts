/**
 * The problems an import's dry run reports. Each is `{code, message, row | featureIndex}`: the
 * code is one of these constants (stable, for the web wizard and for tests), the message says
 * what, where and how to fix in words. `severity: 'error'` means the row or feature is left out
 * of the commit; 'warning' means it is written but someone should look.
 */

export const IMPORT_PROBLEM = {
  // -- geometry (grids, buildings) --
  /** No geometry, or not a polygon (a point or line where an outline was expected). */
  NOT_POLYGON: 'not_polygon',
  /** Invalid per OGC (self-intersection, bad ring); repaired with ST_MakeValid, the repair is imported. */
  REPAIRED_GEOMETRY: 'repaired_geometry',
  /** Invalid and nothing areal left after ST_MakeValid. */
  UNREPAIRABLE_GEOMETRY: 'unrepairable_geometry',
  /** The same outline appears earlier in the file: only the first is imported. */
  DUPLICATE_GEOMETRY: 'duplicate_geometry',
  /** The same code appears earlier in the file. */
  DUPLICATE_CODE: 'duplicate_code',
  /** A code that already belongs to a grid of another community. */
  CODE_TAKEN: 'code_taken',
  /** A grid code that does not follow the 15-digit scheme (geo/import/grid-code.ts); kept as given. */
  NONSTANDARD_CODE: 'nonstandard_code',
  /** No name/code/address property found for the feature: a placeholder is used. */
  MISSING_FIELD: 'missing_field',
  /** Coordinates outside longitude/latitude ranges and no .prj to say what they are. */
  UNKNOWN_CRS: 'unknown_crs',
  /** Latitude and longitude were given in the wrong order: swapped back. */
  SWAPPED_AXES: 'swapped_axes',
  /** Two imported grids share area. */
  GRID_OVERLAP: 'grid_overlap',
  /** Community area no imported (or kept) grid covers. */
  GRID_GAP: 'grid_gap',
  /** Grid area outside the community's boundary. */
  OUTSIDE_COMMUNITY: 'outside_community',
  /** A building whose point on surface lies in none of the community's grids: not imported. */
  BUILDING_OUTSIDE_GRIDS: 'building_outside_grids',
  /** A building footprint that a grid edge cuts (imported into the grid of its point on surface). */
  BUILDING_CROSSES_GRIDS: 'building_crosses_grids',
  // -- ledgers (households) --
  /** A required column (name, room, address or building) is not in the header. */
  MISSING_COLUMN: 'missing_column',
  /** A required value is empty in this row. */
  MISSING_VALUE: 'missing_value',
  /** An 18-digit resident ID number whose format or check digit is wrong. */
  INVALID_ID_NUMBER: 'invalid_id_number',
  /** A phone number that is neither a mobile (1xxxxxxxxxx) nor a landline. */
  INVALID_PHONE: 'invalid_phone',
  /** A category label that maps onto none of the schema's categories: ignored, the others kept. */
  UNKNOWN_CATEGORY: 'unknown_category',
  /** A date that is not a date (入住日期). */
  INVALID_DATE: 'invalid_date',
  /** A member count that is not a whole number from 1 to 50. */
  INVALID_MEMBERS: 'invalid_members',
  /** The row's address matches no building in the caller's scope. */
  UNMATCHED_ADDRESS: 'unmatched_address',
  /** The same person (ID number) appears earlier in the file. */
  DUPLICATE_ROW: 'duplicate_row',
  // -- visit ledgers (走访台账) --
  /** A visit dated after today (China). */
  VISIT_IN_FUTURE: 'visit_in_future',
  /** A 走访方式 label that maps onto none of the visit methods (geo/domain/household.ts). */
  UNKNOWN_METHOD: 'unknown_method',
  /** A 是否见面 label that is neither yes nor no. */
  UNKNOWN_MET: 'unknown_met',
  /** No household in the caller's grids fits the row (ID number, building + unit + room, name + address). */
  UNMATCHED_HOUSEHOLD: 'unmatched_household',
  /** Several households fit the row and nothing in it tells them apart. */
  AMBIGUOUS_HOUSEHOLD: 'ambiguous_household',
  /** The household had moved out on or before the visit's date. */
  VISIT_AFTER_MOVE_OUT: 'visit_after_move_out',
  /** The household moved in after the visit's date. */
  VISIT_BEFORE_MOVE_IN: 'visit_before_move_in',
  /** The visitor's name matches no one (or several) of the household's grid or community: imported unattributed (warning). */
  UNMATCHED_VISITOR: 'unmatched_visitor',
  /** The same visit (household, date, visitor, method, result, content) as an earlier row: imported once (warning). */
  DUPLICATE_VISIT: 'duplicate_visit',
} as const;

export type ImportProblemCode = (typeof IMPORT_PROBLEM)[keyof typeof IMPORT_PROBLEM];
export const IMPORT_PROBLEM_CODES = Object.values(IMPORT_PROBLEM) as readonly ImportProblemCode[];

export type ImportSeverity = 'error' | 'warning';

export interface ImportProblem {
  code: ImportProblemCode;
  severity: ImportSeverity;
  message: string;
  /** 1-based spreadsheet row number (the header is row 1), for ledgers. */
  row?: number;
  /** 0-based index of the feature in the file, for geometry. */
  featureIndex?: number;
  details?: Record<string, unknown>;
}

/** Problems listed per code at most; the report's `problemCounts` always has the full numbers. */
export const MAX_LISTED_PER_CODE = 500;

/** Keeps the report small on 23,000-feature files: every count, but at most MAX_LISTED_PER_CODE listed per code. */
export function summariseProblems(all: readonly ImportProblem[]): {
  problems: ImportProblem[];
  problemCounts: Partial<Record<ImportProblemCode, number>>;
} {
  const counts: Partial<Record<ImportProblemCode, number>> = {};
  const problems: ImportProblem[] = [];
  for (const p of all) {
    const n = (counts[p.code] ?? 0) + 1;
    counts[p.code] = n;
    if (n <= MAX_LISTED_PER_CODE) problems.push(p);
  }
  return { problems, problemCounts: counts };
}
