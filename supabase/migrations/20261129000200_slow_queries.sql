-- A function that repeated a lookup for every row of a large set, found while cutting the test
-- suite's time. It gives the same rows as before (checked on the demo street on PostgreSQL); the
-- tests that compare it with its definition run unchanged. (The month report's patrol days, found
-- slow the same way, are rewritten once, in 20261129000300_month_snapshot_fill.sql.)

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
