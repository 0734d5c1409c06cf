-- =============================================================================================
-- Rollups follow the boundary history (issues 5 and 9 together)
-- The rollups hold the figures of the product's today, and grid_stats()/building_stats(), their
-- reference, attribute a building to the grid it belonged to at the end of that day
-- (building_grid_history) and list the grids that existed then (grid_versions). The rollups
-- took both from the current rows (buildings.grid_id, every grid): the same on a real clock, but
-- not when DEMO_TODAY pins a past day and a boundary commit happens now, nor for a grid retired
-- by a merge. They now read the same history with the same "end of the China day" rule, inlined
-- so that a keyed recompute stays an index lookup.
-- =============================================================================================

create or replace function minqing.household_status_of(as_of date, ids integer[])
returns setof minqing.household_rollup
language sql stable
as $$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    where ids is null or c.id in (
      select g.community_id from public.households h
      join public.building_grid_history bgh on bgh.building_id = h.building_id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
      join public.grids g on g.id = bgh.grid_id
      where h.id = any(ids))
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  hh as (
    select h.id, h.building_id, bgh.grid_id, h.moved_in, pol.s,
      (select min((pol.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(pol.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    left join public.building_grid_history bgh on bgh.building_id = h.building_id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
    left join public.grids g on g.id = bgh.grid_id
    join pol on pol.community_id is not distinct from g.community_id
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
      and (ids is null or h.id = any(ids))
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    where public.china_date(v.visited_at) <= as_of
      and v.method::text in (select jsonb_array_elements_text(hh.s -> 'countedMethods'))
      and (v.result = 'met' or (hh.s ->> 'notHomeCounts')::boolean)
    group by v.household_id
  )
  select hh.id, hh.building_id, hh.grid_id, hh.required_interval, lv.last_visit,
    coalesce(lv.last_visit > as_of - hh.required_interval, false),
    coalesce(lv.last_visit, hh.moved_in) + hh.required_interval,
    not coalesce(lv.last_visit > as_of - hh.required_interval, false)
      and coalesce(lv.last_visit, hh.moved_in) + hh.required_interval < as_of,
    hh.at_risk
  from hh left join lv on lv.household_id = hh.id
$$;

create or replace function minqing.building_rows_of(as_of date, ids integer[])
returns setof minqing.building_rollup
language sql stable
as $$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    where ids is null or c.id in (
      select g.community_id from public.building_grid_history bgh join public.grids g on g.id = bgh.grid_id
      where bgh.building_id = any(ids) and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of)))
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  h as (
    select hr.building_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from minqing.household_rollup hr
    where ids is null or hr.building_id = any(ids)
    group by hr.building_id
  ),
  i as (select * from minqing.issue_counts_of(as_of, 'building', ids)),
  r as (
    select b.id, bgh.grid_id, pol.s,
      coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, gr.days_since_last_patrol as days_patrol
    from public.buildings b
    left join public.building_grid_history bgh on bgh.building_id = b.id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
    left join public.grids g on g.id = bgh.grid_id
    join pol on pol.community_id is not distinct from g.community_id
    left join h on h.building_id = b.id left join i on i.id = b.id
    left join minqing.grid_rollup gr on gr.grid_id = bgh.grid_id
    where ids is null or b.id = any(ids)
  )
  select r.id, r.grid_id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
$$;

create or replace function minqing.grid_rows_of(as_of date, ids integer[])
returns setof minqing.grid_rollup
language sql stable
as $$
  with g as (
    select g.id, public.policy_settings_at(g.community_id, as_of) as s from public.grids g
    where (ids is null or g.id = any(ids))
      and exists (select 1 from public.grid_versions v where v.grid_id = g.id
                  and v.valid_from < public.china_day_end(as_of)
                  and (v.valid_to is null or v.valid_to >= public.china_day_end(as_of)))
  ),
  h as (
    select hr.grid_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from minqing.household_rollup hr
    where hr.grid_id is not null and (ids is null or hr.grid_id = any(ids))
    group by hr.grid_id
  ),
  i as (select * from minqing.issue_counts_of(as_of, 'grid', ids)),
  p as (select * from minqing.patrol_days_of(as_of, ids)),
  r as (
    select g.id, g.s, coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, p.days as days_patrol
    from g left join h on h.grid_id = g.id left join i on i.id = g.id left join p on p.grid_id = g.id
  )
  select r.id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
$$;

-- (building_grid_history's primary key (building_id, valid_from) serves the lookup by building.)

-- ---------------------------------------------------------------------------------------------
-- Vector tiles leave retired grids out, so retiring one (a merge) is a change of the shapes.
-- ---------------------------------------------------------------------------------------------
drop trigger grids_geometry_version on public.grids;
create trigger grids_geometry_version
  after insert or delete or update of boundary, retired_at on public.grids
  for each statement execute function minqing.bump_geometry_version();
