/**
 * An import problem, or an import request's error, in the user's language. The API speaks
 * English in `message` (for logs, curl and tests) and gives a stable `code` with the values in
 * `details`; the wizard shows the text of geo/i18n/strings.ts for that code with the row, feature,
 * field and values put in. A code this client does not know, or a template that needs a value the
 * server did not send, falls back to the server's message: never a half-filled sentence.
 */

import type { ApiErrorCode } from '../errors/api-error-codes';
import { isStringKey, type Locale, type StringKey, stringsOf, translate } from '../i18n/strings';
import { IMPORT_PROBLEM, IMPORT_PROBLEM_CODES, type ImportProblem, type ImportProblemCode } from './import-problems';

/** Problem codes whose message differs by case: which details pick which text. */
const VARIANTS: Partial<Record<ImportProblemCode, (details: Record<string, unknown>) => string | null>> = {
  // Twice in the file (error), or already in the database (warning).
  [IMPORT_PROBLEM.DUPLICATE_GEOMETRY]: (d) => (d.existingId !== undefined ? 'existing' : null),
  // A generated code, or a building named by its placeholder address.
  [IMPORT_PROBLEM.MISSING_FIELD]: (d) => (d.field === 'address' ? 'address' : 'code'),
  // A building cut by a grid edge, or a grid whose edge cuts existing buildings.
  [IMPORT_PROBLEM.BUILDING_CROSSES_GRIDS]: (d) => (d.count !== undefined ? 'existing' : null),
  // With another feature of the file, or with an existing grid or community.
  [IMPORT_PROBLEM.GRID_OVERLAP]: (d) => (d.gridCode !== undefined ? 'existing' : null),
  [IMPORT_PROBLEM.COMMUNITY_OVERLAP]: (d) => (d.communityCode !== undefined ? 'existing' : null),
  // A community file's codes, said of communities rather than grids.
  [IMPORT_PROBLEM.DUPLICATE_CODE]: (d) => (d.kind === 'community' ? 'community' : null),
  [IMPORT_PROBLEM.CODE_TAKEN]: (d) => (d.kind === 'community' ? 'community' : null),
  [IMPORT_PROBLEM.INVALID_COMMUNITY_CODE]: (d) => (d.reason === 'missing' ? 'missing' : null),
  // A roster row's role above the importer's own, or its community outside their scope.
  [IMPORT_PROBLEM.ROLE_NOT_ALLOWED]: (d) => (d.reason === 'scope' ? 'scope' : null),
  // The same person (household ledger), or the same matter (matters ledger).
  [IMPORT_PROBLEM.DUPLICATE_ROW]: (d) => (d.reason === 'same_matter' ? 'matter' : null),
  // Closed without a date, a date on an open matter, a rating on an open matter.
  [IMPORT_PROBLEM.STATUS_DATE_MISMATCH]: (d) => (typeof d.reason === 'string' ? d.reason : null),
  // Why a ledger's registration number goes beside a new one: format, month or taken.
  [IMPORT_PROBLEM.REG_NO_KEPT_BESIDE]: (d) => (typeof d.reason === 'string' ? d.reason : null),
  // A visit ledger's row whose building is none of the caller's, or whose household is not in it.
  [IMPORT_PROBLEM.UNMATCHED_HOUSEHOLD]: (d) => (d.reason === 'building' ? 'building' : null),
};

/** Codes said only through a variant: no text of their own. */
const ONLY_VARIANTS: readonly ImportProblemCode[] = [
  IMPORT_PROBLEM.MISSING_FIELD,
  IMPORT_PROBLEM.STATUS_DATE_MISMATCH,
  IMPORT_PROBLEM.REG_NO_KEPT_BESIDE,
];

/** Every string key a problem code may be shown with (for the test that all three languages have them). */
export function problemTextKeys(code: ImportProblemCode): StringKey[] {
  const base = `importMsg_${code}`;
  const variants: Record<ImportProblemCode, string[]> = Object.fromEntries(IMPORT_PROBLEM_CODES.map((c) => [c, []])) as never;
  variants[IMPORT_PROBLEM.DUPLICATE_GEOMETRY] = ['existing'];
  variants[IMPORT_PROBLEM.MISSING_FIELD] = ['address', 'code'];
  variants[IMPORT_PROBLEM.BUILDING_CROSSES_GRIDS] = ['existing'];
  variants[IMPORT_PROBLEM.GRID_OVERLAP] = ['existing'];
  variants[IMPORT_PROBLEM.COMMUNITY_OVERLAP] = ['existing'];
  variants[IMPORT_PROBLEM.DUPLICATE_CODE] = ['community'];
  variants[IMPORT_PROBLEM.CODE_TAKEN] = ['community'];
  variants[IMPORT_PROBLEM.INVALID_COMMUNITY_CODE] = ['missing'];
  variants[IMPORT_PROBLEM.ROLE_NOT_ALLOWED] = ['scope'];
  variants[IMPORT_PROBLEM.DUPLICATE_ROW] = ['matter'];
  variants[IMPORT_PROBLEM.STATUS_DATE_MISMATCH] = ['closed_without_date', 'date_without_close', 'rated_not_closed'];
  variants[IMPORT_PROBLEM.REG_NO_KEPT_BESIDE] = ['format', 'month', 'taken'];
  variants[IMPORT_PROBLEM.UNMATCHED_HOUSEHOLD] = ['building'];
  const keys = [...(ONLY_VARIANTS.includes(code) ? [] : [base]), ...variants[code].map((v) => `${base}_${v}`)];
  return keys as StringKey[];
}

/** The key for one problem, or null for a code this client has no text for. */
function problemKey(code: string, details: Record<string, unknown>): string | null {
  if (!(IMPORT_PROBLEM_CODES as readonly string[]).includes(code)) return null;
  const variant = VARIANTS[code as ImportProblemCode]?.(details) ?? null;
  return variant ? `importMsg_${code}_${variant}` : `importMsg_${code}`;
}

const listSeparator = (locale: Locale) => (locale === 'en' ? ', ' : '、');

/** A detail as text: lists joined, numbers in the locale's digits grouping, field keys named. */
function detailVars(locale: Locale, details: Record<string, unknown>): Record<string, string> {
  const vars: Record<string, string> = {};
  const fieldLabel = (f: unknown) => {
    const key = `import_field_${String(f)}`;
    return isStringKey(key) ? translate(locale, key) : String(f);
  };
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'string') vars[k] = v;
    else if (typeof v === 'number') vars[k] = v.toLocaleString(locale === 'en' ? 'en' : locale);
    else if (Array.isArray(v) && k !== 'fields') vars[k] = v.map(String).join(listSeparator(locale));
  }
  if (typeof details.field === 'string') vars.fieldLabel = fieldLabel(details.field);
  if (Array.isArray(details.fields)) vars.fields = details.fields.map(fieldLabel).join(listSeparator(locale));
  // A roster's roles (staff_role names) said as the interface names them.
  const roleLabel = (r: unknown) => {
    const key = `role_${String(r)}`;
    return isStringKey(key) ? translate(locale, key) : String(r);
  };
  if (typeof details.role === 'string') vars.roleLabel = roleLabel(details.role);
  if (Array.isArray(details.allowed))
    vars.allowedLabels = details.allowed.length ? details.allowed.map(roleLabel).join(listSeparator(locale)) : '—';
  if (typeof details.share === 'number') vars.percent = String(Math.round(details.share * 100));
  if (typeof details.areaM2 === 'number') vars.areaM2 = Math.round(details.areaM2).toLocaleString(locale === 'en' ? 'en' : locale);
  return vars;
}

/** Fills a template; null when it names a value not given. */
function fill(template: string, vars: Record<string, string>): string | null {
  let missing = false;
  const text = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (vars[name] === undefined) missing = true;
    return vars[name] ?? '';
  });
  return missing ? null : text;
}

export function problemWhere(locale: Locale, p: Pick<ImportProblem, 'row' | 'featureIndex'>): string {
  if (p.row !== undefined) return translate(locale, 'import_where_row', { n: p.row });
  if (p.featureIndex !== undefined) return translate(locale, 'import_where_feature', { n: p.featureIndex });
  return translate(locale, 'import_where_file');
}

/** The problem's sentence in `locale`, or the server's message when this client cannot say it. */
export function problemText(
  locale: Locale,
  p: Pick<ImportProblem, 'code' | 'message' | 'row' | 'featureIndex' | 'details'> & { severity?: string },
): string {
  const details = p.details ?? {};
  const key = problemKey(p.code, details);
  if (!key || !isStringKey(key)) return p.message;
  const text = fill(stringsOf(locale)[key], { where: problemWhere(locale, p), ...detailVars(locale, details) });
  // "{where}: …" starts a sentence: "Row 7", not "row 7" (Chinese has no case).
  return text === null ? p.message : text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Error codes an import request can answer with (api/routes/imports.ts, api/imports/*): each has
 * a text in every language. `unreadable_file` and `import_conflict` name specifics only the server
 * knows (what the bytes look like, which row changed); their text says what to do and the
 * server's words follow as the detail.
 */
export const IMPORT_ERROR_CODES = [
  'payload_too_large',
  'unreadable_file',
  'unknown_crs',
  'invalid_mapping',
  'invalid_request',
  'forbidden',
  'not_found',
  'already_committed',
  'import_conflict',
  'import_rejected',
  'import_has_errors',
  'timeout',
  'unauthorized',
  'internal_error',
] as const satisfies readonly ApiErrorCode[];

/** Codes whose server message carries detail the text cannot: shown after it, as said. */
const WITH_SERVER_DETAIL: ReadonlySet<string> = new Set([
  'unreadable_file',
  'import_conflict',
  'import_rejected',
  'invalid_mapping',
  'invalid_request',
]);

export interface ApiErrorLike {
  status?: number;
  code: string;
  message: string;
  details?: unknown;
}

/**
 * An import request's error in `locale`: `{text, detail}` where detail is the server's own
 * message when it says more than the text can (null otherwise, and for an unknown code the text
 * is the server's message itself).
 */
export function importErrorText(
  locale: Locale,
  e: ApiErrorLike,
  vars: Record<string, string | number> = {},
  /** The import's kind, for a text of its own where one exists (importErr_forbidden_staff). */
  kind?: string,
): { text: string; detail: string | null } {
  const d = (e.details && typeof e.details === 'object' ? e.details : {}) as Record<string, unknown>;
  // A commit refused for a change since the dry run names each change: said wholly in the user's language.
  if (e.code === 'import_conflict' && Array.isArray(d.changed) && d.changed.length > 0) {
    const changed = (d.changed as { kind?: unknown; code?: unknown; change?: unknown }[])
      .filter(
        (c) => (c.kind === 'grid' || c.kind === 'community') && (c.change === 'changed' || c.change === 'added' || c.change === 'removed'),
      )
      .map((c) => {
        const what = translate(locale, `importChange_${c.kind as 'grid' | 'community'}`, { code: String(c.code) });
        const how = translate(locale, `importChange_${c.change as 'changed' | 'added' | 'removed'}`);
        return locale === 'en' ? `${what} (${how})` : `${what}（${how}）`;
      });
    if (changed.length)
      return {
        text: translate(locale, 'importErr_import_conflict_changed', { changed: changed.join(listSeparator(locale)) }),
        detail: null,
      };
  }
  const own = `importErr_${e.code}_${kind}`;
  const key = kind && isStringKey(own) ? own : `importErr_${e.code}`;
  if (!isStringKey(key)) return { text: e.message, detail: null };
  const all: Record<string, string> = { ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)])) };
  if (typeof d.limitBytes === 'number') all.limitMb = String(Math.round(d.limitBytes / 1024 / 1024));
  const text = fill(stringsOf(locale)[key], all);
  if (text === null) return { text: e.message, detail: null };
  return { text, detail: WITH_SERVER_DETAIL.has(e.code) ? e.message : null };
}
