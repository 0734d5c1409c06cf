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
import { MAX_DB_INT } from '../../geo/domain/db-int';

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
  id: z.coerce.number({ error: 'the grid id must be a number' }).int().positive('the grid id must be a positive integer').max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
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
           from public.grids g, public.grid_visit_counts(g.id, $2::date) s where g.id = $1`,
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
    .get('/', zValidator('query', z.object({ asOf: asOfOrCurrent(today) }), validationHook), async (c) => {
      const { asOf } = c.req.valid('query');
      const [row] = await asCaller(db, c.get('claims'), (tx) =>
        tx.query<{ fc: GridFeatureCollection }>(asOf ? gridsAsOfSql() : gridFeaturesSql(), asOf ? [asOf] : []),
      );
      return c.json(row!.fc);
    });
}

/** `asOf` when given (a past date, validated like the statistics'), else null: today's live grids. */
const asOfOrCurrent = (today: () => string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return null;
      const parsed = asOfParam(today).safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
        return z.NEVER;
      }
      return parsed.data;
    });

const GRID_PROPERTIES = {
  id: 'g.id',
  code: 'g.code',
  name: 'g.name',
  communityId: 'g.community_id',
  communityName: 'cm.name',
  // Per grid shown, by its indexes (not a count of the whole database's households); today in
  // China, not the server's current_date: a commit made after 16:00 UTC is already "today" there.
  households: 'public.grid_household_count(g.id, public.china_date(now()))',
  leader: 'public.staff_display_name(g.leader_id)',
  version: 'g.version',
};

/** Today's live grids (a grid merged away is retired and left out), or one of them with `where` `g.id = $1`. */
export function gridFeaturesSql(where = 'true'): string {
  return featureCollectionSql({
    id: 'g.id',
    geometry: 'g.boundary',
    properties: GRID_PROPERTIES,
    from: `public.grids g
      join public.communities cm on cm.id = g.community_id
      where g.retired_at is null and ${where}`,
    orderBy: 'g.code',
  });
}

/**
 * The boundaries in force at the end of $1 (a China date), with the version, code and name they
 * had then, including grids merged away since; households counted with that day's assignment.
 */
export function gridsAsOfSql(): string {
  return featureCollectionSql({
    id: 'v.grid_id',
    geometry: 'v.boundary',
    properties: {
      ...GRID_PROPERTIES,
      id: 'v.grid_id',
      code: 'v.code',
      name: 'v.name',
      communityId: 'v.community_id',
      households: 'public.grid_household_count(v.grid_id, $1::date)',
      version: 'v.version',
      retired: 'g.retired_at is not null and g.retired_at < public.china_day_end($1::date)',
    },
    from: `public.grid_versions_at($1::date) v
      join public.grids g on g.id = v.grid_id
      join public.communities cm on cm.id = v.community_id`,
    orderBy: 'v.code',
  });
}
