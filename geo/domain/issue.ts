/**
 * Vocabulary of 民情民意事项 (residents' issues). Keys are the values of the enums in
 * supabase/migrations/*_issues.sql. The 九必报 list (002 篇五) maps onto these categories.
 */

export const ISSUE_CATEGORIES = [
  'dispute', // 矛盾纠纷
  'safety_hazard', // 安全隐患
  'fire_hazard', // 消防隐患
  'livelihood', // 民生服务
  'appeal', // 信访诉求
  'suggestion', // 意见建议
  'sanitation', // 环境卫生
  'public_facility', // 公共设施
  'other', // 其他
] as const;
export type IssueCategory = (typeof ISSUE_CATEGORIES)[number];

/** 分类分层处理: handled by the grid on the spot, taken to the community, or escalated to the street. */
export const ISSUE_TIERS = ['on_spot', 'community', 'escalated'] as const;
export type IssueTier = (typeof ISSUE_TIERS)[number];

/** 限时办结: the complexity sets the due date (7/15/30 days by default, 002 篇一/五). */
export const ISSUE_COMPLEXITIES = ['ordinary', 'complex', 'major'] as const;
export type IssueComplexity = (typeof ISSUE_COMPLEXITIES)[number];

export const ISSUE_STATUSES = ['registered', 'accepted', 'in_progress', 'resolved', 'closed', 'cancelled'] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];

/** 监督评议 (001). */
export const ISSUE_EVALUATIONS = ['satisfied', 'basically_satisfied', 'dissatisfied', 'not_rated'] as const;
export type IssueEvaluation = (typeof ISSUE_EVALUATIONS)[number];

/** Registration number = year + month + 3-digit monthly sequence, e.g. 202611001 (001). */
export function formatRegNo(year: number, month: number, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > 999) {
    throw new RangeError(`issue sequence must be 1..999, got ${sequence}`);
  }
  return `${year}${String(month).padStart(2, '0')}${String(sequence).padStart(3, '0')}`;
}
