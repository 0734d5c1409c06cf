-- =============================================================================================
-- The patrol rule, per day (000 第一篇: grid leaders patrol daily for at least half an hour)
-- A day meets the rule when the grid's finished patrols started that day add up to
-- patrolMinMinutes; "days since last patrol" counts from the latest such day. Until now it
-- needed a single patrol that long, which disagreed with the daily compliance the API reports:
-- two 15-minute rounds met the rule there but not here. Same signature; docs/metrics.md and
-- geo/metrics/coverage.reference.ts change with it.
-- =============================================================================================
create or replace function public.grid_days_since_patrol(as_of date)
returns table (grid_id integer, days integer)
language sql stable security definer
set search_path = public, extensions
as $$
  select d.grid_id, as_of - max(d.day)
  from (
    select pt.grid_id, public.china_date(pt.started_at) as day, sum(pt.ended_at - pt.started_at) as walked
    from public.patrols pt
    where pt.ended_at is not null and public.china_date(pt.started_at) <= as_of
    group by pt.grid_id, public.china_date(pt.started_at)
  ) d
  join public.grids g on g.id = d.grid_id
  cross join lateral (select public.policy_settings_at(g.community_id, as_of) as s) pol
  where d.walked >= make_interval(mins => (pol.s ->> 'patrolMinMinutes')::int)
  group by d.grid_id
$$;
