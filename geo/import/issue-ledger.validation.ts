/**
 * One row of a matters ledger (民情事项台账) checked before anything touches the database: the
 * labels of category, level (层级), status and satisfaction onto the product's vocabulary
 * (geo/domain/issue.ts), the dates (parseable, not in the future, 办结 not before 登记), and
 * whether status and dates agree. Returns the row as the import wants it and its problems, each
 * located (row, column) and saying how to fix it; never throws on bad data. Where the row's
 * matter is (grid or building) and whether it is already imported is the API's part
 * (api/imports/issue-import.ts): it needs the database.
 */
import type { IssueCategory, IssueComplexity, IssueEvaluation, IssueStatus, IssueTier } from '../domain/issue';
import type { IssueLedgerField, IssueLedgerMapping } from './field-mapping';
import { parseLedgerDate } from './household-ledger.validation';
import { IMPORT_PROBLEM, type ImportProblem } from './import-problems';

export interface IssueLedgerRow {
  row: number;
  /** The ledger's 登记编号, as written (trimmed, half-width), or null. */
  regNo: string | null;
  registeredOn: string;
  grid: string | null;
  address: string | null;
  category: IssueCategory;
  content: string;
  tier: IssueTier;
  complexity: IssueComplexity;
  status: Exclude<IssueStatus, 'cancelled'>;
  /** 办结日期: the close date of a closed matter, the resolution date of a resolved one. */
  closedOn: string | null;
  evaluation: IssueEvaluation;
}

// ---------------------------------------------------------------------------------------------
// Labels as ledgers write them (first of each list is the one a message suggests)
// ---------------------------------------------------------------------------------------------

const CATEGORY: Record<IssueCategory, readonly string[]> = {
  dispute: ['矛盾纠纷', '纠纷', '矛盾', '邻里纠纷', '家庭纠纷', '矛盾糾紛', '糾紛'],
  safety_hazard: ['安全隐患', '安全', '治安隐患', '隐患', '安全隱患'],
  fire_hazard: ['消防隐患', '消防', '消防安全', '消防隱患'],
  livelihood: ['民生服务', '民生', '民生诉求', '困难救助', '救助', '社保', '民生服務'],
  appeal: ['信访诉求', '信访', '诉求', '上访', '信訪訴求', '信訪'],
  suggestion: ['意见建议', '建议', '意见', '意見建議'],
  sanitation: ['环境卫生', '卫生', '环境', '垃圾', '環境衛生'],
  public_facility: ['公共设施', '设施', '设施损坏', '公共设施损坏', '路灯', '公共設施'],
  other: ['其他', '其它'],
};

/** 层级 (分类分层处理): who handles it, and so its time limit (7/15/30 days by the policy's issueDueDays). */
const LEVEL: Record<IssueTier, { complexity: IssueComplexity; labels: readonly string[] }> = {
  on_spot: {
    complexity: 'ordinary',
    labels: ['网格', '网格处理', '网格级', '现场', '现场处理', '就地', '就地解决', '一般', '普通', '一般事项', '網格'],
  },
  community: { complexity: 'complex', labels: ['社区', '社区处理', '社区协调', '社区级', '复杂', '较复杂', '复杂事项', '社區', '複雜'] },
  escalated: {
    complexity: 'major',
    labels: ['街道', '街道处理', '街道级', '上报', '上报街道', '乡镇', '重大', '疑难', '重大疑难', '重大事项', '重大複雜'],
  },
};

/** 状态. No cancelled: a ledger records no date for a cancellation, and a cancelled matter counts nowhere. */
const STATUS: Record<IssueLedgerRow['status'], readonly string[]> = {
  registered: ['已登记', '登记', '待受理', '待处理', '未处理', '已收集', '待办', '已登記'],
  accepted: ['已受理', '受理', '已交办', '交办', '已分派', '已转办'],
  in_progress: ['办理中', '处理中', '正在办理', '正在处理', '落实中', '跟进中', '在办', '未办结', '辦理中', '處理中'],
  resolved: ['待回访', '待反馈', '待评价', '已处理待反馈', '已解决待回访'],
  closed: ['已办结', '办结', '已解决', '已完成', '完成', '已反馈', '已回复', '已结案', '结案', '已关闭', '已辦結', '辦結'],
};

const SATISFACTION: Record<IssueEvaluation, readonly string[]> = {
  satisfied: ['满意', '非常满意', '很满意', '滿意'],
  basically_satisfied: ['基本满意', '较满意', '比较满意', '基本滿意'],
  dissatisfied: ['不满意', '很不满意', '不滿意'],
  not_rated: ['未评价', '未回访', '无', '无评价', '未評價'],
};

/** A label as compared: half-width, no spaces or brackets, lower case (English keys work too). */
const key = (s: string) =>
  s
    .normalize('NFKC')
    .replace(/[\s()（）【】[\]]/g, '')
    .toLowerCase();

function lookup<T extends string>(table: Record<T, readonly string[]>): (label: string) => T | undefined {
  const m = new Map<string, T>();
  for (const [value, labels] of Object.entries(table) as [T, readonly string[]][]) {
    m.set(key(value), value);
    for (const l of labels) m.set(key(l), value);
  }
  return (label) => m.get(key(label));
}

const categoryOf = lookup(CATEGORY);
const statusOf = lookup(STATUS);
const satisfactionOf = lookup(SATISFACTION);
const tierOf = lookup(Object.fromEntries(Object.entries(LEVEL).map(([t, v]) => [t, v.labels])) as Record<IssueTier, readonly string[]>);
const suggested = (table: Record<string, readonly string[] | { labels: readonly string[] }>) =>
  Object.values(table).map((v) => ('labels' in v ? v.labels[0] : (v as readonly string[])[0])!);

// ---------------------------------------------------------------------------------------------
// Registration numbers
// ---------------------------------------------------------------------------------------------

/**
 * Whether a ledger's 登记编号 fits the product's scheme for a matter registered on that date:
 * year + month + 3-digit sequence (001 民情民意收集登记表), the month being the registration's
 * own ('format' or 'month' when not). Whether it is free is the database's to say.
 */
export function regNoFit(regNo: string, registeredOn: string): 'fits' | 'format' | 'month' {
  if (!/^[0-9]{4}(0[1-9]|1[0-2])(?!000)[0-9]{3}$/.test(regNo)) return 'format';
  return regNo.slice(0, 6) === registeredOn.slice(0, 7).replace('-', '') ? 'fits' : 'month';
}

// ---------------------------------------------------------------------------------------------
// One row
// ---------------------------------------------------------------------------------------------

const clean = (v: unknown): string =>
  (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString().slice(0, 10) : String(v)).normalize('NFKC').trim();

/** Default column names, for messages when the mapping has none. */
const COLUMN: Record<IssueLedgerField, string> = {
  regNo: '登记编号',
  registeredOn: '登记日期',
  grid: '网格',
  address: '地址',
  issueCategory: '类别',
  content: '内容',
  level: '层级',
  status: '状态',
  closedOn: '办结日期',
  satisfaction: '满意度',
};

export function validateIssueRow(
  cells: Readonly<Record<string, unknown>>,
  row: number,
  mapping: IssueLedgerMapping,
  today: string,
): { value: IssueLedgerRow | null; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const column = (f: IssueLedgerField) => mapping[f] ?? COLUMN[f];
  const raw = (f: IssueLedgerField) => (mapping[f] ? cells[mapping[f]!] : undefined);
  const get = (f: IssueLedgerField) => clean(raw(f));
  const error = (code: ImportProblem['code'], field: IssueLedgerField, message: string, details: Record<string, unknown> = {}) =>
    problems.push({
      code,
      severity: 'error',
      row,
      message: `Row ${row}, column ${column(field)}: ${message}`,
      details: { field, column: column(field), ...details },
    });
  const required = (f: IssueLedgerField, what: string) => {
    const v = get(f);
    if (!v) error(IMPORT_PROBLEM.MISSING_VALUE, f, `the ${what} is empty; fill it in.`);
    return v;
  };
  const label = <T>(f: IssueLedgerField, what: string, of: (l: string) => T | undefined, allowed: string[]): T | undefined => {
    const v = get(f);
    if (!v) return undefined;
    const hit = of(v);
    if (hit === undefined) {
      error(IMPORT_PROBLEM.UNKNOWN_LABEL, f, `the ${what} "${v}" is not one the product knows; write one of ${allowed.join(', ')}.`, {
        value: v,
        allowed,
      });
    }
    return hit;
  };
  const date = (f: IssueLedgerField): string | null => {
    const v = raw(f);
    if (clean(v) === '') return null;
    const iso = parseLedgerDate(v instanceof Date ? v : clean(v));
    if (!iso) {
      error(IMPORT_PROBLEM.INVALID_DATE, f, `"${clean(v)}" is not a date; write it as 2024-03-01.`, { value: clean(v) });
      return null;
    }
    if (iso > today) {
      error(IMPORT_PROBLEM.FUTURE_DATE, f, `${iso} is after today (${today}); a ledger records what has happened. Correct the date.`, {
        value: iso,
        today,
      });
      return null;
    }
    return iso;
  };

  const regNo = get('regNo') || null;
  const registeredText = required('registeredOn', 'registration date (登记日期)');
  const registeredOn = registeredText ? date('registeredOn') : null;
  const grid = get('grid') || null;
  const address = get('address') || null;
  if (!grid && !address) {
    error(
      IMPORT_PROBLEM.MISSING_VALUE,
      mapping.grid ? 'grid' : 'address',
      'neither the grid (网格) nor the address (地址) is filled in; one is needed to place the matter.',
    );
  }
  const content = required('content', 'content (内容)');
  const category = required('issueCategory', 'category (类别)')
    ? label('issueCategory', 'category', categoryOf, suggested(CATEGORY))
    : undefined;
  const tier = required('level', 'level (层级)') ? label('level', 'level', tierOf, suggested(LEVEL)) : undefined;
  const status = required('status', 'status (状态)') ? label('status', 'status', statusOf, suggested(STATUS)) : undefined;
  const evaluation = label('satisfaction', 'satisfaction', satisfactionOf, suggested(SATISFACTION));
  const closedOn = date('closedOn');

  if (status) {
    const finished = status === 'closed' || status === 'resolved';
    if (status === 'closed' && !closedOn && get('closedOn') === '') {
      error(
        IMPORT_PROBLEM.STATUS_DATE_MISMATCH,
        'closedOn',
        `the status "${get('status')}" says the matter was closed, but 办结日期 is empty; fill in the date it was closed, or correct the status.`,
        { reason: 'closed_without_date', status: get('status') },
      );
    }
    if (!finished && get('closedOn') !== '') {
      error(
        IMPORT_PROBLEM.STATUS_DATE_MISMATCH,
        'closedOn',
        `办结日期 is filled in but the status "${get('status')}" says the matter is still open; correct the status (e.g. 已办结) or empty the date.`,
        { reason: 'date_without_close', status: get('status') },
      );
    }
    if (status !== 'closed' && evaluation !== undefined && evaluation !== 'not_rated') {
      error(
        IMPORT_PROBLEM.STATUS_DATE_MISMATCH,
        'satisfaction',
        `a satisfaction rating ("${get('satisfaction')}") is given but the status "${get('status')}" says the matter is not closed; residents rate a closed matter. Correct the status or empty the rating.`,
        { reason: 'rated_not_closed', status: get('status') },
      );
    }
  }
  if (registeredOn && closedOn && closedOn < registeredOn) {
    error(
      IMPORT_PROBLEM.CLOSED_BEFORE_REGISTERED,
      'closedOn',
      `the matter was closed (${closedOn}) before it was registered (${registeredOn}); correct one of the dates.`,
      { closed: closedOn, registered: registeredOn },
    );
  }

  if (problems.length > 0 || !registeredOn || !category || !tier || !status) return { value: null, problems };
  return {
    value: {
      row,
      regNo,
      registeredOn,
      grid,
      address,
      category,
      content,
      tier,
      complexity: LEVEL[tier].complexity,
      status,
      closedOn,
      evaluation: status === 'closed' ? (evaluation ?? 'not_rated') : 'not_rated',
    },
    problems,
  };
}
