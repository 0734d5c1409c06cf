import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { HouseholdCategory } from '../../geo/domain/household';
import { METRIC_SPECS, type BandId } from '../../geo/metrics/legend';
import { ApiError, validationHook } from '../lib/errors';
import { asOfParam, productToday } from '../lib/query-params';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import type { AppDeps } from '../app';
import { featureCollectionSql } from '../lib/geojson-sql';
import { asCaller, type AppEnv } from '../lib/request-db';

export interface GridProperties {
  id: number;
  code: string;
  name: string;
  communityId: number;
  communityName: string;
  households: number;
  leader: string | null;
  version: number;
}
export type GridFeatureCollection = FeatureCollection<MultiPolygon, GridProperties>;

export interface OverdueHousehold {
  householdId: number;
  buildingId: number;
  address: string;
  unit: string | null;
  room: string;
  categories: HouseholdCategory[];
  atRisk: boolean;
  lastVisit: string | null;
  dueDate: string;
  daysOverdue: number;
}

const idParam = z.object({
  id: z.coerce.number({ error: 'the grid id must be a number' }).int().positive('the grid id must be a positive integer'),
});

/** Visits to uncovered households needed to lift coverage into the next better band, or null at the top. */
export function visitsToNextBand(households: number, covered: number): { band: BandId; visits: number } | null {
  if (households === 0) return null;
  const [good, fair, poor] = METRIC_SPECS.coverage.thresholds;
  const coverage = covered / households;
  const next = coverage < poor ? { band: 'poor' as const, t: poor } : coverage < fair ? { band: 'fair' as const, t: fair } : coverage < good ? { band: 'good' as const, t: good } : null;
  if (!next) return null;
  // A tiny epsilon absorbs binary noise (0.95 × 300 = 284.99999…).
  return { band: next.band, visits: Math.ceil(next.t * households - covered - 1e-9) };
}

export function gridRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .get('/:id/overdue', zValidator('param', idParam, validationHook), zValidator('query', z.object({ asOf: asOfParam(today) }), validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const { asOf } = c.req.valid('query');
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const [grid] = await tx.query<{ id: number; name: string; households: number; covered: number }>(
          `select g.id, g.name, s.households, s.covered_households as covered
           from public.grids g join public.grid_stats($2::date) s on s.grid_id = g.id where g.id = $1`,
          [id, asOf],
        );
        if (!grid) return null;
        const [{ access }] = (await tx.query<{ access: string }>('select minqing.grid_access($1) as access', [id])) as [{ access: string }];
        if (access === 'none') {
          throw new ApiError(403, 'forbidden', `The mop-up list of grid ${id} says where its households live; it is for the grid's team, its community staff and the street leader.`);
        }
        const households = await tx.query<OverdueHousehold>(
          `select household_id as "householdId", building_id as "buildingId", address, unit, room,
                  categories::text[] as categories, at_risk as "atRisk", last_visit::text as "lastVisit",
                  due_date::text as "dueDate", days_overdue as "daysOverdue"
           from public.grid_overdue_households($1, $2::date)`,
          [id, asOf],
        );
        return { grid, households };
      });
      if (!result) throw new ApiError(404, 'not_found', `No grid with id ${id}`);
      const { grid, households } = result;
      return c.json({
        asOf,
        gridId: grid.id,
        gridName: grid.name,
        households: grid.households,
        coveredHouseholds: grid.covered,
        nextBand: visitsToNextBand(grid.households, grid.covered),
        overdue: households,
      });
    })
    .get('/', async (c) => {
    const [row] = await asCaller(db, c.get('claims'), (tx) =>
      tx.query<{ fc: GridFeatureCollection }>(
        featureCollectionSql({
          id: 'g.id',
          geometry: 'g.boundary',
          properties: {
            id: 'g.id',
            code: 'g.code',
            name: 'g.name',
            communityId: 'g.community_id',
            communityName: 'cm.name',
            households: 'coalesce(hc.households, 0)',
            leader: 'public.staff_display_name(g.leader_id)',
            version: 'g.version',
          },
          from: `public.grids g
            join public.communities cm on cm.id = g.community_id
            left join public.grid_household_counts(current_date) hc on hc.grid_id = g.id`,
          orderBy: 'g.code',
        }),
      ),
    );
    return c.json(row!.fc);
  });
}
