/**
 * Which property of an imported feature, or which column of a ledger, holds what. Street offices'
 * files use Chinese headers (姓名, 身份证号, 楼栋…), planning-bureau shapefiles short DBF names
 * (MC, BM, DZ), OSM English ones: the guess tries each known alias, the user can override it.
 */
import type { HouseholdCategory } from '../domain/household';

/** Lower-cased, without spaces, underscores, full-width brackets or a trailing colon. */
export function normaliseHeader(h: string): string {
  return h
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_\-:：()（）*]/g, '');
}

// ---------------------------------------------------------------------------------------------
// Features: name, code, address
// ---------------------------------------------------------------------------------------------

export const FEATURE_FIELDS = ['name', 'code', 'address'] as const;
export type FeatureField = (typeof FEATURE_FIELDS)[number];
export type FeatureMapping = Partial<Record<FeatureField, string>>;

const FEATURE_ALIASES: Record<FeatureField, readonly string[]> = {
  name: [
    'name',
    '名称',
    '网格名称',
    '网格名',
    '社区名称',
    '社区名',
    '居委会名称',
    '楼栋名称',
    '建筑名称',
    '小区名称',
    'mc',
    'wgmc',
    'jzmc',
    'name_zh',
    'namezh',
    'title',
  ],
  code: [
    'code',
    '编码',
    '编号',
    '网格编码',
    '网格编号',
    '网格代码',
    '社区编码',
    '社区代码',
    '区划代码',
    '统计用区划代码',
    '行政区划代码',
    '代码',
    'bm',
    'wgbm',
    'wgdm',
    'id_code',
    'gridcode',
    'ref',
  ],
  address: ['address', 'addr', '地址', '门牌地址', '详细地址', '楼栋地址', '门牌号', 'dz', 'mpdz', 'addrfull', 'addr:full', 'fulladdress'],
};

/** The first property (in the file's own order) matching each field's aliases. */
export function guessFeatureMapping(keys: readonly string[]): FeatureMapping {
  const out: FeatureMapping = {};
  for (const field of FEATURE_FIELDS) {
    for (const alias of FEATURE_ALIASES[field]) {
      const hit = keys.find((k) => normaliseHeader(k) === normaliseHeader(alias));
      if (hit) {
        out[field] = hit;
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ledgers: household columns
// ---------------------------------------------------------------------------------------------

export const LEDGER_FIELDS = [
  'headName',
  'idNumber',
  'phone',
  'address',
  'building',
  'unit',
  'room',
  'categories',
  'members',
  'movedIn',
] as const;
export type LedgerField = (typeof LEDGER_FIELDS)[number];
export type LedgerMapping = Partial<Record<LedgerField, string>>;

const LEDGER_ALIASES: Record<LedgerField, readonly string[]> = {
  headName: ['姓名', '户主姓名', '户主', '户主名', '居民姓名', 'name', 'headname', 'head_name'],
  idNumber: ['身份证号', '身份证号码', '公民身份号码', '证件号码', '身份证', 'idnumber', 'id_number', 'idcard'],
  phone: ['联系电话', '电话', '手机', '手机号', '手机号码', '联系方式', 'phone', 'mobile', 'tel'],
  address: ['地址', '住址', '家庭住址', '居住地址', '现住址', '门牌地址', 'address'],
  // 楼栋编号 matches a building's imported code as well as its name or address (household-import.ts).
  building: ['楼栋', '楼号', '楼栋号', '栋', '幢', '楼宇', '楼栋编号', '楼栋编码', 'building'],
  unit: ['单元', '单元号', 'unit'],
  room: ['房号', '房间号', '门牌号', '室', '户号', 'room'],
  categories: ['类别', '人员类别', '户类别', '家庭类别', '类型', '人群类别', '重点人群', 'categories', 'category'],
  members: ['人口数', '家庭人口', '人数', '户人口', '家庭成员数', 'members'],
  movedIn: ['入住日期', '入住时间', '迁入日期', '登记日期', 'movedin', 'moved_in'],
};

/** Each field's column among the headers; a header is used once, for the first field (in `fields`' order) that claims it. */
function guessColumns<F extends string>(
  fields: readonly F[],
  aliases: Record<F, readonly string[]>,
  headers: readonly string[],
): Partial<Record<F, string>> {
  const out: Partial<Record<F, string>> = {};
  const used = new Set<string>();
  for (const field of fields) {
    for (const alias of aliases[field]) {
      const hit = headers.find((h) => !used.has(h) && normaliseHeader(h) === normaliseHeader(alias));
      if (hit) {
        out[field] = hit;
        used.add(hit);
        break;
      }
    }
  }
  return out;
}

/** Each household ledger field's column among the headers. */
export function guessLedgerMapping(headers: readonly string[]): LedgerMapping {
  return guessColumns(LEDGER_FIELDS, LEDGER_ALIASES, headers);
}

// ---------------------------------------------------------------------------------------------
// Staff roster (花名册) columns
// ---------------------------------------------------------------------------------------------

export const STAFF_FIELDS = ['name', 'phone', 'email', 'role', 'community', 'grids'] as const;
export type StaffField = (typeof STAFF_FIELDS)[number];
export type StaffMapping = Partial<Record<StaffField, string>>;

const STAFF_ALIASES: Record<StaffField, readonly string[]> = {
  name: ['姓名', '名字', '人员姓名', '工作人员', '网格员姓名', 'name', 'fullname'],
  phone: ['手机', '手机号', '手机号码', '联系电话', '电话', '联系方式', 'phone', 'mobile', 'tel'],
  email: ['邮箱', '电子邮箱', '电子邮件', '邮件', 'email', 'e-mail', 'mail'],
  role: ['角色', '职务', '岗位', '身份', '人员类型', 'role', 'position'],
  community: ['社区', '所属社区', '社区名称', '社区编码', '社区代码', 'community'],
  grids: ['网格', '所属网格', '负责网格', '网格编码', '网格名称', '网格编号', 'grid', 'grids'],
};

export function guessStaffMapping(headers: readonly string[]): StaffMapping {
  return guessColumns(STAFF_FIELDS, STAFF_ALIASES, headers);
}
// ---------------------------------------------------------------------------------------------
// Ledgers: visit columns (走访台账)
// Which household (ID number, building + unit + room, name + address), when, who, how, whether
// the household was met, and what was said. Fields shared with the household ledger keep its
// names (and the wizard's labels).
// ---------------------------------------------------------------------------------------------

export const VISIT_LEDGER_FIELDS = [
  'visitDate',
  'headName',
  'idNumber',
  'address',
  'building',
  'unit',
  'room',
  'visitor',
  'method',
  'met',
  'content',
] as const;
export type VisitLedgerField = (typeof VISIT_LEDGER_FIELDS)[number];
export type VisitLedgerMapping = Partial<Record<VisitLedgerField, string>>;

const VISIT_LEDGER_ALIASES: Record<VisitLedgerField, readonly string[]> = {
  visitDate: ['走访日期', '走访时间', '访问日期', '入户日期', '日期', '时间', 'visitdate', 'visit_date', 'date'],
  headName: ['户主姓名', '户主', '被走访人', '走访对象', '居民姓名', '姓名', 'headname', 'head_name', 'name'],
  idNumber: LEDGER_ALIASES.idNumber,
  address: ['地址', '住址', '家庭住址', '居住地址', '现住址', '门牌地址', '楼栋地址', 'address'],
  building: ['楼栋编号/地址', '楼栋编号', '楼栋编码', '楼栋', '楼号', '楼栋号', '栋', '幢', '楼宇', 'building'],
  unit: LEDGER_ALIASES.unit,
  room: LEDGER_ALIASES.room,
  visitor: ['走访人', '走访人员', '走访干部', '走访者', '访问人', '网格员', '记录人', 'visitor'],
  method: ['走访方式', '方式', '走访形式', '形式', 'method'],
  met: ['是否见面', '见面情况', '是否见到', '是否在家', '走访结果', '结果', 'met', 'result'],
  content: ['民情内容', '走访内容', '民情诉求', '群众诉求', '情况记录', '走访情况', '内容', '备注', 'content', 'notes'],
};

/** The visit ledger's columns among the headers. */
export const guessVisitLedgerMapping = (headers: readonly string[]): VisitLedgerMapping =>
  guessColumns(VISIT_LEDGER_FIELDS, VISIT_LEDGER_ALIASES, headers);

// ---------------------------------------------------------------------------------------------
// Category labels
// ---------------------------------------------------------------------------------------------

/** Chinese labels as ledgers write them, onto the schema's household_category (geo/domain/household.ts). */
export const CATEGORY_LABELS: Readonly<Record<string, HouseholdCategory>> = {
  一般: 'ordinary',
  一般户: 'ordinary',
  一般家庭: 'ordinary',
  一般家庭户: 'ordinary',
  普通: 'ordinary',
  普通户: 'ordinary',
  无: 'ordinary',
  老年人: 'elderly',
  老年: 'elderly',
  一般老年: 'elderly',
  高龄: 'elderly',
  高龄老人: 'elderly',
  老人: 'elderly',
  空巢: 'empty_nest',
  空巢老人: 'empty_nest',
  独居: 'lonely_elderly',
  独居老人: 'lonely_elderly',
  孤寡: 'lonely_elderly',
  孤寡老人: 'lonely_elderly',
  低保: 'low_income',
  低保户: 'low_income',
  低保家庭: 'low_income',
  低收入: 'low_income',
  特困: 'low_income',
  特困供养: 'low_income',
  残疾: 'disabled',
  残疾人: 'disabled',
  残疾人家庭: 'disabled',
  重病: 'seriously_ill',
  大病: 'seriously_ill',
  卧床: 'seriously_ill',
  重病卧床: 'seriously_ill',
  重病患者: 'seriously_ill',
  困难: 'difficult',
  困难家庭: 'difficult',
  困难户: 'difficult',
  困难群众: 'difficult',
  流动人口: 'floating',
  流动人员: 'floating',
  外来人口: 'floating',
  流动: 'floating',
  出租: 'rental',
  出租房: 'rental',
  出租屋: 'rental',
  出租房屋: 'rental',
  租户: 'rental',
  社区矫正: 'community_correction',
  社区矫正对象: 'community_correction',
  矫正对象: 'community_correction',
  重点人员: 'key_person',
  重点人口: 'key_person',
  重点: 'key_person',
  刑满释放: 'key_person',
  刑释解教: 'key_person',
  吸毒人员: 'key_person',
  精神障碍: 'key_person',
  严重精神障碍: 'key_person',
  上访: 'petitioner',
  上访户: 'petitioner',
  信访: 'petitioner',
  信访户: 'petitioner',
  失业: 'unemployed',
  失业家庭: 'unemployed',
  失业人员: 'unemployed',
  下岗: 'unemployed',
  军属: 'military_family',
  军烈属: 'military_family',
  退役军人: 'military_family',
  优抚对象: 'military_family',
  双拥: 'military_family',
  个体工商户: 'business',
  个体户: 'business',
  商户: 'business',
  就业: 'business',
};

/** Splits a category cell (低保、残疾 / 低保,残疾 / 低保;残疾 / 低保 残疾) and maps each label; unknown ones are returned as such. */
export function mapCategoryLabels(
  cell: string,
  overrides: Readonly<Record<string, HouseholdCategory>> = {},
): { categories: HouseholdCategory[]; unknown: string[] } {
  const labels = cell
    .normalize('NFKC')
    .split(/[、,，;；/|\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const categories: HouseholdCategory[] = [];
  const unknown: string[] = [];
  for (const label of labels) {
    const c = overrides[label] ?? CATEGORY_LABELS[label] ?? CATEGORY_LABELS[label.replace(/(户|人员|对象|家庭)$/, '')];
    if (c) {
      if (!categories.includes(c)) categories.push(c);
    } else unknown.push(label);
  }
  return { categories, unknown };
}

// ---------------------------------------------------------------------------------------------
// Matters ledgers (民情事项台账): issue columns (issue 18; geo/import/issue-ledger.validation.ts)
// ---------------------------------------------------------------------------------------------

export const ISSUE_LEDGER_FIELDS = [
  'regNo',
  'registeredOn',
  'grid',
  'address',
  'issueCategory',
  'content',
  'level',
  'status',
  'closedOn',
  'satisfaction',
] as const;
export type IssueLedgerField = (typeof ISSUE_LEDGER_FIELDS)[number];
export type IssueLedgerMapping = Partial<Record<IssueLedgerField, string>>;

const ISSUE_LEDGER_ALIASES: Record<IssueLedgerField, readonly string[]> = {
  regNo: ['登记编号', '编号', '事项编号', '登记号', '序号编号', '受理编号', 'regno', 'reg_no', 'number'],
  registeredOn: ['登记日期', '日期', '登记时间', '受理日期', '收集日期', '反映日期', '发生日期', 'registeredon', 'date'],
  grid: ['网格', '所属网格', '网格名称', '网格编码', '网格编号', 'grid'],
  address: ['地址', '地点', '发生地点', '事发地址', '详细地址', '楼栋', '住址', 'address'],
  issueCategory: ['类别', '事项类别', '类型', '事项类型', '问题类别', '分类', 'category'],
  content: ['内容', '事项内容', '民情内容', '反映内容', '问题描述', '事项描述', '诉求内容', 'content', 'description'],
  level: ['层级', '处理层级', '办理层级', '分级', '级别', '难易程度', 'level', 'tier'],
  status: ['状态', '办理状态', '处理状态', '办结情况', '进展', 'status'],
  closedOn: ['办结日期', '办结时间', '完成日期', '结案日期', '办结', 'closedon', 'closed'],
  satisfaction: ['满意度', '群众满意度', '评价', '回访评价', '满意情况', 'satisfaction', 'evaluation'],
};

/** Each issue field's column among the headers; a header is used once, for the first field that claims it. */
export function guessIssueLedgerMapping(headers: readonly string[]): IssueLedgerMapping {
  return guessColumns(ISSUE_LEDGER_FIELDS, ISSUE_LEDGER_ALIASES, headers);
}
