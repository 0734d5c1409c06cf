/**
 * Patrols (巡查) as the database holds them: a grid leader's walk started and stopped from a
 * phone, with an optional GPS track, and per grid and day whether the daily rule was met. Every
 * statement runs as the caller, so row-level security decides who may start, stop and read
 * (supabase/migrations/*_access.sql).
 */
import type { LineString } from 'geojson';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { myStaffId } from '../lib/request-db';

export interface Patrol {
  id: number;
  gridId: number;
  staffId: number;
  startedAt: string;
  endedAt: string | null;
  /** Length in minutes, null while the patrol is open. */
  minutes: number | null;
  track: LineString | null;
  /** Share (0–1) of the track within the grid or the policy's geofence of it; null without a track. */
  trackInsideShare: number | null;
  /** Less than half the track near the grid: kept and counted, for a person to review. */
  flaggedForReview: boolean;
}

export interface PatrolDay {
  date: string;
  /** Minutes of the patrols of the grid that started this day (China time) and have ended. */
  minutes: number;
  patrols: number;
  /** patrolMinMinutes of the policy in force that day. */
  requiredMinutes: number;
  /** Whether the rule was met; null for a day still to come. */
  met: boolean | null;
}

const COLUMNS = `id, grid_id as "gridId", staff_id as "staffId", started_at as "startedAt", ended_at as "endedAt",
  round((extract(epoch from ended_at - started_at) / 60)::numeric, 1)::float8 as minutes,
  ST_AsGeoJSON(track)::json as track, track_inside_share::float8 as "trackInsideShare",
  flagged_for_review as "flaggedForReview"`;

/** The caller's patrol under way, if any. */
export async function openPatrol(tx: Queryable): Promise<Patrol | null> {
  const me = await myStaffId(tx);
  const [open] = await tx.query<Patrol>(
    `select ${COLUMNS} from public.patrols where staff_id = $1 and ended_at is null order by started_at desc limit 1`,
    [me],
  );
  return open ?? null;
}

/** Starts the caller's patrol of grid `gridId`; 409 while another of theirs is open. */
export async function startPatrol(tx: Queryable, gridId: number): Promise<Patrol> {
  const me = await myStaffId(tx);
  const [grid] = await tx.query<{ id: number }>('select id from public.grids where id = $1', [gridId]);
  if (!grid) throw new ApiError(404, 'not_found', `No grid with id ${gridId} in your street.`);
  // A person walks one place at a time: a second start while a patrol is open is a
  // forgotten stop or a double tap on a bad network, and either would count the same walk
  // twice. The lock makes two concurrent starts of one walker take turns. (Not a unique
  // index: records imported from elsewhere may hold several open patrols.)
  await tx.query(`select pg_advisory_xact_lock(hashtext('minqing.patrol_start'), $1)`, [me]);
  const [open] = await tx.query<{ id: number; gridId: number }>(
    'select id, grid_id as "gridId" from public.patrols where staff_id = $1 and ended_at is null order by started_at desc limit 1',
    [me],
  );
  if (open) {
    throw new ApiError(
      409,
      'patrol_already_open',
      `You have a patrol under way (patrol ${open.id} in grid ${open.gridId}); stop it before starting another.`,
      {
        patrolId: open.id,
      },
    );
  }
  // Row-level security admits the caller, as themself, in their own grids (a 403 otherwise).
  const [started] = await tx.query<Patrol>(
    `insert into public.patrols (grid_id, staff_id, started_at) values ($1, $2, now()) returning ${COLUMNS}`,
    [gridId, me],
  );
  return started!;
}

/** Stops the caller's patrol `id`, with its track if the phone recorded one. */
export async function stopPatrol(tx: Queryable, id: number, track: LineString | undefined): Promise<Patrol> {
  const me = await myStaffId(tx);
  const [found] = await tx.query<{ staffId: number; endedAt: string | null }>(
    'select staff_id as "staffId", ended_at as "endedAt" from public.patrols where id = $1',
    [id],
  );
  if (!found) throw new ApiError(404, 'not_found', `No patrol with id ${id} in your scope.`);
  if (found.staffId !== me) throw new ApiError(403, 'forbidden', `Patrol ${id} is someone else's; only the one who walks it stops it.`);
  if (found.endedAt !== null)
    throw new ApiError(409, 'patrol_already_stopped', `Patrol ${id} already stopped at ${new Date(found.endedAt).toISOString()}.`);
  // `ended_at is null` again: of two concurrent stops, the second updates nothing.
  const [stopped] = await tx.query<Patrol>(
    `update public.patrols set ended_at = now(), track = ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326))
     where id = $1 and ended_at is null
     returning ${COLUMNS}`,
    [id, track ? JSON.stringify(track) : null],
  );
  if (!stopped) throw new ApiError(409, 'patrol_already_stopped', `Patrol ${id} was stopped by another request.`);
  return stopped;
}

/** Grid `gridId`'s patrol minutes per day from `from` to `to`, judged against the policy; days after `today` are not judged. */
export async function patrolCompliance(tx: Queryable, gridId: number, from: string, to: string, today: string): Promise<PatrolDay[]> {
  const [grid] = await tx.query<{ access: string }>('select minqing.grid_access(id) as access from public.grids where id = $1', [gridId]);
  if (!grid) throw new ApiError(404, 'not_found', `No grid with id ${gridId} in your street.`);
  // Patrol times are the grid team's work records: for whoever may see the grid's people.
  if (grid.access === 'none') throw new ApiError(403, 'forbidden', `Grid ${gridId}'s patrols are not in your scope.`);
  // A patrol counts for the day it started, and only once it has ended (docs/metrics.md
  // "daysSinceLastPatrol"); the day's patrols add up, as a walk may be interrupted.
  return tx.query<PatrolDay>(
    `select day::text as date, round((seconds / 60)::numeric, 1)::float8 as minutes, patrols,
       required as "requiredMinutes",
       case when day <= $4::date then seconds >= required * 60 end as met
     from (
       select d.day, pol.required, count(p.id)::int as patrols,
         coalesce(sum(extract(epoch from p.ended_at - p.started_at)), 0) as seconds
       from (select generate_series($2::date, $3::date, interval '1 day')::date as day) d
       cross join lateral (
         select (public.policy_settings_at(g.community_id, d.day) ->> 'patrolMinMinutes')::int as required
         from public.grids g where g.id = $1
       ) pol
       left join public.patrols p
         on p.grid_id = $1 and p.ended_at is not null and public.china_date(p.started_at) = d.day
       group by d.day, pol.required
     ) t
     order by day`,
    // The product's today, pinned on a demo street, so the days after it are still to come.
    [gridId, from, to, today],
  );
}
