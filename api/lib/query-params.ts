/** Query-string schemas shared by several routes. */
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';

export type BBox = [minLon: number, minLat: number, maxLon: number, maxLat: number];

const BBOX_HELP = 'bbox must be minLon,minLat,maxLon,maxLat in WGS84 degrees, e.g. 115.90,28.62,115.93,28.64';

export const bboxParam = z.string({ error: `bbox is required: ${BBOX_HELP}` }).transform((raw, ctx): BBox => {
  const parts = raw.split(',').map((p) => p.trim());
  const nums = parts.map((p) => (p === '' ? Number.NaN : Number(p)));
  if (parts.length !== 4 || nums.some((n) => !Number.isFinite(n))) {
    ctx.addIssue({ code: 'custom', message: `${BBOX_HELP}; got "${raw}"` });
    return z.NEVER;
  }
  const [minLon, minLat, maxLon, maxLat] = nums as BBox;
  const problems: string[] = [];
  if (minLon < -180 || maxLon > 180) problems.push('longitudes must be within -180..180');
  if (minLat < -90 || maxLat > 90) problems.push('latitudes must be within -90..90');
  if (minLon >= maxLon) problems.push('minLon must be less than maxLon');
  if (minLat >= maxLat) problems.push('minLat must be less than maxLat');
  if (problems.length > 0) {
    ctx.addIssue({ code: 'custom', message: `${problems.join('; ')} (${BBOX_HELP})` });
    return z.NEVER;
  }
  return [minLon, minLat, maxLon, maxLat];
});

/** Today's date in China (UTC+8), where every street using this product is. */
export function todayInChina(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** The product's "today": DEMO_TODAY when a demo pins it, otherwise the date in China. */
export function productToday(env: { demoToday: string | undefined }): string {
  return env.demoToday ?? todayInChina();
}

/** `asOf=YYYY-MM-DD`, a real calendar date not after `today()`; defaults to today. */
export const asOfParam = (today: () => string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return today();
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
      const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
      if (!date || date.toISOString().slice(0, 10) !== raw) {
        ctx.addIssue({ code: 'custom', message: `asOf must be a date as YYYY-MM-DD, e.g. 2026-10-31; got "${raw}"` });
        return z.NEVER;
      }
      if (raw > today()) {
        ctx.addIssue({ code: 'custom', message: `asOf ${raw} is in the future; the latest date with data is today, ${today()}` });
        return z.NEVER;
      }
      if (raw < '2000-01-01') {
        ctx.addIssue({ code: 'custom', message: `asOf ${raw} is before 2000-01-01, earlier than any record` });
        return z.NEVER;
      }
      return raw;
    });

/** A path or query id: a positive integer, with a message naming what it is. */
export const positiveId = (what: string) =>
  z.coerce
    .number({ error: `${what} must be a number` })
    .int()
    .positive(`${what} must be a positive integer`)
    .max(MAX_DB_INT, `${what} is at most ${MAX_DB_INT}`);
