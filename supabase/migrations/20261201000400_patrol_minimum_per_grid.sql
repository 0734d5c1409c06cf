-- =============================================================================================
-- Days since each grid's last patrol: the policy's minimum once per grid
-- Found by the district benchmark (issue #9): a past day that is not a closed month's end is
-- computed on the fly by grid_stats, which took 36 s at a district, past the API's 30 s
-- statement timeout. Besides the visit rule (20261201000100), grid_days_since_patrol looked the
-- policy up in a lateral subquery that ran once per grid and patrol day (6.6 s); once per grid
-- now (0.9 s), the same rows as minqing.patrol_days_of on all 2,100 grids. With both, grid_stats
-- for 2026-06-29: 36 s → 13 s. Signature, rights and grants unchanged.
-- =============================================================================================

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
