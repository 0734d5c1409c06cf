/**
 * Default visit policy preset (入户走访制度). Intervals are in days; a household's required
 * interval is the strictest (smallest) of its categories. Where the seed documents disagree the
 * product keeps the rule configurable; these values are the preset the demo street uses.
 */
import type { HouseholdCategory } from './household';

export const DEFAULT_VISIT_INTERVAL_DAYS: Readonly<Record<HouseholdCategory, number>> = {
  ordinary: 182, // 2 a year (000 第一篇)
  elderly: 30, // ≥1 a month (000 第四篇)
  empty_nest: 15, // special elderly ≥2 a month (000 第四篇)
  lonely_elderly: 15, // special elderly ≥2 a month (000 第四篇)
  low_income: 15, // ordinary vulnerable ≥2 a month (000 第四篇)
  disabled: 15, // ordinary vulnerable ≥2 a month (000 第四篇)
  seriously_ill: 7, // key vulnerable ≥1 a week (000 第四篇)
  difficult: 30, // monthly (000 第一篇)
  floating: 30, // monthly (000 第一篇); 000 第三篇 says weekly
  rental: 30, // monthly preset; 000 第三篇 says weekly
  community_correction: 30, // monthly (000 第一篇)
  key_person: 7, // weekly review (000 第二/三篇)
  petitioner: 90, // ≥1 a quarter (003)
  unemployed: 30, // 九必访 (002 篇五), monthly preset
  military_family: 90, // 九必访 (002 篇五), quarterly preset
  business: 45, // ≥2 a quarter (000 第四篇)
};

/** Categories whose overdue visits are a risk to people, not only a paperwork gap. */
export const DEFAULT_AT_RISK_CATEGORIES: readonly HouseholdCategory[] = [
  'empty_nest',
  'lonely_elderly',
  'low_income',
  'disabled',
  'seriously_ill',
  'difficult',
  'community_correction',
  'key_person',
];

export function requiredIntervalDays(
  categories: readonly HouseholdCategory[],
  intervals: Readonly<Record<HouseholdCategory, number>> = DEFAULT_VISIT_INTERVAL_DAYS,
): number {
  const list = categories.length > 0 ? categories : (['ordinary'] as const);
  return Math.min(...list.map((c) => intervals[c]));
}

/** Issue due dates by complexity (限时办结, 002 篇一/五). */
export const DEFAULT_ISSUE_DUE_DAYS = { ordinary: 7, complex: 15, major: 30 } as const;
