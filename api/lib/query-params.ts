/** Query-string schemas shared by several routes. */
import { z } from 'zod';

export type BBox = [minLon: number, minLat: number, maxLon: number, maxLat: number];

const BBOX_HELP = 'bbox must be minLon,minLat,maxLon,maxLat in WGS84 degrees, e.g. 115.90,28.62,115.93,28.64';

export const bboxParam = z
  .string({ error: `bbox is required: ${BBOX_HELP}` })
  .transform((raw, ctx): BBox => {
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
