/**
 * Default visit policy preset (入户走访制度). Intervals are in days; a household's required
 * interval is the strictest (smallest) of its categories. Where the seed documents disagree the
 * product keeps the rule configurable; these values are the preset the demo street uses.
 */
import { z } from 'zod';
import { METRIC_SPECS, METRICS, type MetricId } from '../metrics/legend';
import { MAX_DB_INT } from './db-int';
import { HOUSEHOLD_CATEGORIES, type HouseholdCategory, VISIT_METHODS } from './household';

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

// ---------------------------------------------------------------------------------------------
// The policy as stored (visit_policies.settings) and edited through the API. One schema serves
// the API's validation, the web's editor and the reference metrics, so they cannot drift.
// ---------------------------------------------------------------------------------------------

const categoryRecord = <T extends z.ZodTypeAny>(value: T) =>
  z.object(Object.fromEntries(HOUSEHOLD_CATEGORIES.map((c) => [c, value])) as Record<HouseholdCategory, T>).strict();

export const attentionWeightsSchema = z
  .object({
    coverageGap: z.number().min(0).max(1),
    atRiskOverdue: z.number().min(0).max(1),
    overdueIssues: z.number().min(0).max(1),
    patrolGap: z.number().min(0).max(1),
  })
  .strict()
  .refine((w) => Math.abs(w.coverageGap + w.atRiskOverdue + w.overdueIssues + w.patrolGap - 1) < 1e-9, {
    message: 'attention weights must add up to 1',
  });

export const policySettingsSchema = z
  .object({
    /** Required visit interval per category, in days (1 = daily … 366 = yearly). */
    intervals: categoryRecord(z.number().int().min(1).max(366)),
    atRisk: z.array(z.enum(HOUSEHOLD_CATEGORIES)).refine((a) => new Set(a).size === a.length, 'atRisk lists a category twice'),
    /** Which visit methods count as a visit. */
    countedMethods: z.array(z.enum(VISIT_METHODS)).min(1, 'at least one visit method must count'),
    /** Whether a "not at home" attempt counts as a visit. */
    notHomeCounts: z.boolean(),
    issueDueDays: z
      .object({
        ordinary: z.number().int().min(1).max(365),
        complex: z.number().int().min(1).max(365),
        major: z.number().int().min(1).max(365),
      })
      .strict(),
    attention: z
      .object({
        weights: attentionWeightsSchema,
        /** Overdue issues per 100 households at which that term is full. */
        overdueIssuesPer100Cap: z.number().positive(),
        /** Days without a patrol at which that term is full. */
        patrolGapDaysCap: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
      })
      .strict(),
    /** A patrol counts for "days since the last patrol" only if it lasted this long (000 第一篇: half an hour). */
    patrolMinMinutes: z.number().int().min(1).max(600),
    /** The fair workload range for a grid (002 篇二: 200–300 households). */
    gridHouseholds: z.object({ min: z.number().int().min(1).max(MAX_DB_INT), max: z.number().int().min(1).max(MAX_DB_INT) }).strict(),
    /**
     * Metres from the household's building beyond which a visit's GPS point is flagged for review
     * (kept, never dropped). Defaulted, not required: versions stored before it existed lack it.
     */
    visitGeofenceM: z.number().min(5).max(5000).default(50),
    /**
     * Band boundaries (good|fair, fair|poor, poor|critical) overriding geo/metrics/legend.ts.
     * Read from the street-wide policy, so one legend serves every community on the map.
     */
    bands: z
      .partialRecord(z.enum(METRICS), z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]))
      .superRefine((bands, ctx) => {
        for (const [metric, t] of Object.entries(bands)) {
          if (!t) continue;
          const better = METRIC_SPECS[metric as MetricId].higherIsBetter;
          const ordered = better ? t[0] > t[1] && t[1] > t[2] : t[0] < t[1] && t[1] < t[2];
          if (!ordered) {
            ctx.addIssue({
              code: 'custom',
              path: [metric],
              message: better ? 'boundaries must fall from good to critical' : 'boundaries must rise from good to critical',
            });
          }
        }
      })
      .optional(),
  })
  .strict();

export type PolicySettings = z.infer<typeof policySettingsSchema>;

export const DEFAULT_POLICY: PolicySettings = {
  intervals: { ...DEFAULT_VISIT_INTERVAL_DAYS },
  atRisk: [...DEFAULT_AT_RISK_CATEGORIES],
  // A third party's word is hearsay: it does not count unless a community decides otherwise.
  countedMethods: ['in_person', 'phone', 'video'],
  notHomeCounts: false,
  issueDueDays: { ...DEFAULT_ISSUE_DUE_DAYS },
  attention: {
    weights: { coverageGap: 0.4, atRiskOverdue: 0.3, overdueIssues: 0.15, patrolGap: 0.15 },
    overdueIssuesPer100Cap: 2,
    patrolGapDaysCap: 14,
  },
  patrolMinMinutes: 30,
  gridHouseholds: { min: 200, max: 300 },
  visitGeofenceM: 50,
};
