/**
 * Household vocabulary. The keys are the values of the `household_category` and
 * `household_classification` enums in supabase/migrations; a test keeps both in step.
 * Sources are the seed documents named in ../shared/DOMAIN.md.
 */

export const HOUSEHOLD_CATEGORIES = [
  'ordinary', // 一般家庭户 — 2 visits a year (000 第一篇)
  'elderly', // 一般老年群体 — monthly (000 第四篇)
  'empty_nest', // 空巢老人 — twice a month as special elderly (000 第四篇)
  'lonely_elderly', // 孤寡/独居老人 — twice a month (000 第四篇)
  'low_income', // 低保户 — twice a month (000 第四篇)
  'disabled', // 残疾人 — twice a month (000 第四篇)
  'seriously_ill', // 重病/卧床 — weekly (000 第四篇)
  'difficult', // 困难家庭 — monthly (000 第一篇)
  'floating', // 流动人口 — monthly (000 第一篇); weekly in 000 第三篇
  'rental', // 出租房屋 — weekly (000 第三篇)
  'community_correction', // 社区矫正对象 — monthly (000 第一篇)
  'key_person', // 重点人员 — daily/weekly (000 第二/三篇)
  'petitioner', // 上访户 — quarterly (003)
  'unemployed', // 失业家庭 — 九必访 (002 篇五)
  'military_family', // 双拥/军属 — 九必访 (002 篇五)
  'business', // 个体工商户/就业 — twice a quarter (000 第四篇)
] as const;
export type HouseholdCategory = (typeof HOUSEHOLD_CATEGORIES)[number];

export const HOUSEHOLD_CLASSIFICATIONS = [
  'reassured', // 放心户
  'basic', // 基本户
  'key_attention', // 重点管控户
] as const;
export type HouseholdClassification = (typeof HOUSEHOLD_CLASSIFICATIONS)[number];

export const VISIT_METHODS = ['in_person', 'phone', 'video', 'third_party'] as const;
export type VisitMethod = (typeof VISIT_METHODS)[number];

export const VISIT_RESULTS = ['met', 'not_home'] as const;
export type VisitResult = (typeof VISIT_RESULTS)[number];
