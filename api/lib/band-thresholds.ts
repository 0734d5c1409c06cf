import type { Thresholds } from '../../geo/metrics/legend';
import type { Queryable } from '../db/database';

/** Band boundaries in force at a date: the street-wide policy's `bands`, over the built-in defaults. */
export async function bandThresholds(tx: Queryable, asOf: string): Promise<Thresholds> {
  const [row] = await tx.query<{ bands: Thresholds | null }>(`select public.policy_settings_at(null, $1::date) -> 'bands' as bands`, [
    asOf,
  ]);
  return row?.bands ?? {};
}
