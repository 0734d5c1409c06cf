-- =============================================================================================
-- The on-the-fly reference at district size: what counts as a visit read once per community
-- Found by the district benchmark (issue #9): GET /api/stats/grids for a past day that is not a
-- closed month's end is computed on the fly by grid_stats, and at a district (549,311
-- households, 5.98M visits; PostgreSQL) that took 36 s, past the API's 30 s statement timeout,
-- so a street leader who picked such a day on the timeline got a 504. Two parts of it:
--   * household_visit_status (and its keyed twin household_status_of) carried each household's
--     whole policy (jsonb) in the household rows and, for every one of ~4M visits, took the
--     counted methods and the not-home rule apart from it again: 19.7 s. The rule is now read
--     once per community into plain columns (methods as a text array), and each household
--     carries its community's key: 10.2 s, same rows.
--   * grid_days_since_patrol looked the policy up in a lateral subquery that ran once per grid
--     and patrol day (6.6 s); once per grid now (0.9 s), the same rows as
--     minqing.patrol_days_of on all 2,100 grids.
-- grid_stats for 2026-06-29: 36 s → 13 s. Signatures, rights and grants unchanged.
-- =============================================================================================

create or replace function public.household_visit_status(as_of date)
returns table (
  household_id integer, building_id integer, grid_id integer, required_interval integer,
  last_visit date, covered boolean, due_date date, overdue boolean, at_risk boolean
)
language sql stable security definer
set search_path = public, extensions
as $$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  -- What counts, once per community (0: buildings in no grid), in plain columns for the visits.
  rule as (
    select coalesce(community_id, 0) as k, s,
      array(select jsonb_array_elements_text(s -> 'countedMethods')) as methods,
      (s ->> 'notHomeCounts')::boolean as not_home
    from pol
  ),
  hh as (
    select h.id, h.building_id, bg.grid_id, h.moved_in, rule.k,
      (select min((rule.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(rule.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    left join public.building_grids_at(as_of) bg on bg.building_id = h.building_id
    left join public.grids g on g.id = bg.grid_id
    join rule on rule.k = coalesce(g.community_id, 0)
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    join rule on rule.k = hh.k
    where public.china_date(v.visited_at) <= as_of
      and v.method::text = any (rule.methods)
      and (v.result = 'met' or rule.not_home)
    group by v.household_id
  )
  select hh.id, hh.building_id, hh.grid_id, hh.required_interval, lv.last_visit,
    coalesce(lv.last_visit > as_of - hh.required_interval, false) as covered,
    coalesce(lv.last_visit, hh.moved_in) + hh.required_interval as due_date,
    not coalesce(lv.last_visit > as_of - hh.required_interval, false)
      and coalesce(lv.last_visit, hh.moved_in) + hh.required_interval < as_of as overdue,
    hh.at_risk
  from hh left join lv on lv.household_id = hh.id
$$;

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
  -- What counts, once per community (0: buildings in no grid), in plain columns for the visits.
  rule as (
    select coalesce(community_id, 0) as k, s,
      array(select jsonb_array_elements_text(s -> 'countedMethods')) as methods,
      (s ->> 'notHomeCounts')::boolean as not_home
    from pol
  ),
  hh as (
    select h.id, h.building_id, bgh.grid_id, h.moved_in, rule.k,
      (select min((rule.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(rule.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    left join public.building_grid_history bgh on bgh.building_id = h.building_id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
    left join public.grids g on g.id = bgh.grid_id
    join rule on rule.k = coalesce(g.community_id, 0)
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
      and (ids is null or h.id = any(ids))
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    join rule on rule.k = hh.k
    where public.china_date(v.visited_at) <= as_of
      and v.method::text = any (rule.methods)
      and (v.result = 'met' or rule.not_home)
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

create or replace function public.grid_days_since_patrol(as_of date)
returns table (grid_id integer, days integer)
language sql stable security definer
set search_path = public, extensions
as $$
  -- The minimum once per grid; a lateral lookup here ran once per grid and patrol day.
  with m as materialized (
    select g.id, (public.policy_settings_at(g.community_id, as_of) ->> 'patrolMinMinutes')::int as min_minutes
    from public.grids g
  )
  select d.grid_id, as_of - max(d.day)
  from (
    select pt.grid_id, public.china_date(pt.started_at) as day, sum(pt.ended_at - pt.started_at) as walked
    from public.patrols pt
    where pt.ended_at is not null and public.china_date(pt.started_at) <= as_of
    group by pt.grid_id, public.china_date(pt.started_at)
  ) d
  join m on m.id = d.grid_id
  where d.walked >= make_interval(mins => m.min_minutes)
  group by d.grid_id
$$;
