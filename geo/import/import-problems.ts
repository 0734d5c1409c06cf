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
  /** A code that already belongs to a grid of another community (or, in a community file, a community of another street). */
  CODE_TAKEN: 'code_taken',
  /** A grid code that does not follow the 15-digit scheme (geo/import/grid-code.ts); kept as given. */
  NONSTANDARD_CODE: 'nonstandard_code',
  /** No name/code/address property found for the feature: a placeholder is used. */
  MISSING_FIELD: 'missing_field',
  /** Coordinates outside longitude/latitude ranges and no .prj to say what they are. */
  UNKNOWN_CRS: 'unknown_crs',
  /** Latitude and longitude were given in the wrong order: swapped back. */
  SWAPPED_AXES: 'swapped_axes',
  /** Two imported grids share area, or an imported grid shares area with an existing grid (details.gridCode): an error. */
  GRID_OVERLAP: 'grid_overlap',
  /** Community area no imported (or kept) grid covers. */
  GRID_GAP: 'grid_gap',
  /** Grid area outside the community's boundary: an error. */
  OUTSIDE_COMMUNITY: 'outside_community',
  // -- a street leader's files (communities; grids for the whole street) --
  /** A grid of a street-wide file with area in two or more communities: which one is not guessed. */
  GRID_STRADDLES_COMMUNITIES: 'grid_straddles_communities',
  /** A grid of a street-wide file in none of the street's communities (or in ones without a boundary yet). */
  GRID_IN_NO_COMMUNITY: 'grid_in_no_community',
  /** A community's code missing or not in the street's scheme (geo/import/community-code.ts). */
  INVALID_COMMUNITY_CODE: 'invalid_community_code',
  /** Two imported communities share area, or one shares area with an existing community (details.communityCode). */
  COMMUNITY_OVERLAP: 'community_overlap',
  /** Community area outside a street that has a boundary of its own. */
  OUTSIDE_STREET: 'outside_street',
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
  /** The same person (ID number), or the same matter (date, place, category, content), appears earlier in the file. */
  DUPLICATE_ROW: 'duplicate_row',
  // -- staff roster (花名册; api/imports/staff-import.ts). Missing name or email: MISSING_VALUE. --
  /** A role label that is none of the roles (街道领导, 社区工作人员, 网格长, 网格员… or the enum names). */
  UNKNOWN_ROLE: 'unknown_role',
  /** Not an email address. */
  INVALID_EMAIL: 'invalid_email',
  /** No community of the street has this name or code. */
  UNKNOWN_COMMUNITY: 'unknown_community',
  /** The role belongs to a community (community staff, grid leader, grid member) and none is given. */
  COMMUNITY_REQUIRED: 'community_required',
  /** No grid of the street (of the row's community, for a name) has this code or name. */
  UNKNOWN_GRID: 'unknown_grid',
  /** The grid exists but lies in another community than the row's. */
  GRID_NOT_IN_COMMUNITY: 'grid_not_in_community',
  /** Grids given for a role that serves none (community staff, street roles). */
  GRIDS_FOR_NON_GRID_ROLE: 'grids_for_non_grid_role',
  /** A role above the importer's own, or a community outside their scope (minqing.may_manage_staff). */
  ROLE_NOT_ALLOWED: 'role_not_allowed',
  /** Another person (or a sign-in) already has this email. */
  EMAIL_TAKEN: 'email_taken',
  /** The same email earlier in the file. */
  DUPLICATE_EMAIL: 'duplicate_email',
  /** This person (same email and name) is already staff of the street: nothing written for the row (warning). */
  ALREADY_PRESENT: 'already_present',
  // -- matters ledgers (民情事项台账, issue 18) --
  /** A category, status, level (层级) or satisfaction label the product does not know (details.field). */
  UNKNOWN_LABEL: 'unknown_label',
  /** A date after the product's today. */
  FUTURE_DATE: 'future_date',
  /** 办结日期 before 登记日期. */
  CLOSED_BEFORE_REGISTERED: 'closed_before_registered',
  /** Status and dates disagree (details.reason): closed without 办结日期, 办结日期 on an open matter, a rating on an open one. */
  STATUS_DATE_MISMATCH: 'status_date_mismatch',
  /** The 网格 cell names no grid (code or name) the caller keeps. */
  UNMATCHED_GRID: 'unmatched_grid',
  /** The 网格 or 地址 cell fits several grids or buildings of different grids. */
  AMBIGUOUS_PLACE: 'ambiguous_place',
  /** The same 登记编号 appears earlier in the file. */
  DUPLICATE_REG_NO: 'duplicate_reg_no',
  /** The 登记编号 does not fit the product's scheme or is taken: a new number is given, the original kept beside it (details.reason). */
  REG_NO_KEPT_BESIDE: 'reg_no_kept_beside',
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
