/**
 * Calendar periods of field-work reports (a diary day, a diary or patrol month). Dates are
 * calendar dates in China (docs/metrics.md "Dates"); the database turns timestamps into them
 * with public.china_date.
 */
import { z } from 'zod';

// Zod runs refinements even after the regex failed, so this sees any string ("x", "é"): no time, no date.
const isRealDate = (s: string) => {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const t = Date.UTC(y, m - 1, d);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
};

export const calendarDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD, e.g. 2026-11-15')
  .refine((s) => s >= '2000-01-01' && isRealDate(s), 'must be a real calendar date from 2000 on');

export const monthSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM, e.g. 2026-11')
  .refine((s) => s >= '2000-01', 'must be from 2000 on');

/** The first and last day of a month, as dates. */
export function monthBounds(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}
