-- Two functions that repeated a lookup for every row of a large set, found while cutting the test
-- suite's time. Each gives the same rows as before (checked on the demo street on PostgreSQL);
-- the tests that compare them with their definitions run unchanged.

-- =============================================================================================
-- Boundary preview: the per-building workload reads each community's policy once
-- building_workload (20261126000600_boundary_preview.sql) looked up the visit policy in force
-- with one policy_settings_at call per household (a lateral subquery on every row): on the demo
-- street that was thousands of calls, several seconds on the embedded database, paid by every
-- boundary preview and again by every commit, split, merge and revert that validates like it.
-- It now reads the policy once per community, joined as household_visit_status does
-- (20261122000600_coverage_metrics.sql). Same rows, same figures; signature and grants as before.
-- =============================================================================================

create or replace function public.building_workload(as_of date)
returns table (building_id integer, households integer, visits_per_month double precision)
language sql stable security definer
set search_path = public, extensions
as $$
  -- One row per community, and one for buildings in no grid (the street-wide policy), exactly
  -- what policy_settings_at(g.community_id, as_of) gave per household.
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    union all
    select null, public.policy_settings_at(null, as_of)
  )
  select h.building_id, count(*)::integer,
    sum(30.44 / (select min((pol.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c))
  from public.households h
  join public.buildings b on b.id = h.building_id
  left join public.grids g on g.id = b.grid_id
  join pol on pol.community_id is not distinct from g.community_id
  where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  group by h.building_id
$$;

-- =============================================================================================
-- Month report and month-end snapshots: patrol days from one pass over the patrols
-- report_patrol_days (20261127000300_meeting_mode.sql) summed each grid's patrols of each day with
-- a subquery per grid and day, each scanning the grid's patrols of every day: ~0.9 s for one month
-- on PostgreSQL and several on the embedded database, paid by every month-end snapshot (a month
-- report's trend stores twelve) and ~7 s for a year. The patrols are now summed per grid and day
-- once and joined; the rule (the policy's patrolMinMinutes of that day), rows and signature are
-- those of 20261127000300_meeting_mode.sql.
-- =============================================================================================

create or replace function public.report_patrol_days(p_from date, p_to date, p_last_day date)
returns table (grid_id integer, days_met integer, days_judged integer)
language sql stable security definer
set search_path = public, extensions
as $$
  with d as (
    select generate_series(p_from, least(p_to, p_last_day), interval '1 day')::date as day
  ),
  -- Each grid's patrolled seconds per China day, summed once over the period's patrols.
  walked as (
    select p.grid_id, public.china_date(p.started_at) as day, sum(extract(epoch from p.ended_at - p.started_at)) as seconds
    from public.patrols p
    where p.ended_at is not null and public.china_date(p.started_at) between p_from and least(p_to, p_last_day)
    group by p.grid_id, public.china_date(p.started_at)
  ),
  per_day as (
    select g.id as grid_id, d.day,
      (public.policy_settings_at(g.community_id, d.day) ->> 'patrolMinMinutes')::int * 60 as required,
      coalesce(w.seconds, 0) as seconds
    from public.grids g cross join d
    left join walked w on w.grid_id = g.id and w.day = d.day
    where g.id = any (minqing.report_grid_ids())
  )
  select grid_id, count(*) filter (where seconds >= required)::int, count(*)::int
  from per_day group by grid_id
$$;
