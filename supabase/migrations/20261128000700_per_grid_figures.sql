-- =============================================================================================
-- A grid's own figures read only its own households
-- Opening a grid shows its mop-up list and its month's 按期走访率. Both were derived for every
-- household of the street and then cut to one grid; on the embedded database that cost 10 s and
-- 3 s per opening. They now derive the status of the grid's households only, by the same
-- definitions (tests compare them with the street-wide functions for every grid).
-- =============================================================================================

-- =============================================================================================
-- The mop-up list
-- grid_overdue_households used to derive the status of every household of the street
-- (household_visit_status) and keep one grid's: ~10 s on the embedded database for a list of
-- ~20 rows, paid each time a grid leader opens a grid. It now asks the rollups' per-household
-- definition (minqing.household_status_of, the same rules, checked equal by stats_drift) for the
-- households whose building lies in the grid on that date only. Same rows, same order.
-- The list's header figures (households, covered) came from grid_stats for the whole street too;
-- grid_visit_counts gives them for the one grid, by the same definition.
-- Both are PL/pgSQL so that the grid's household ids are computed once: passed as an expression
-- to household_status_of (a SQL function the planner inlines), they were recomputed per row.
-- =============================================================================================

-- The households living, on that date, in the buildings the grid had at the end of that China day.
create function minqing.grid_household_ids(p_grid_id integer, as_of date) returns integer[]
language sql stable
set search_path = public, extensions
as $$
  select coalesce(array_agg(h.id), '{}')
  from public.building_grid_history bgh
  join public.households h on h.building_id = bgh.building_id
  where bgh.grid_id = p_grid_id
    and bgh.valid_from < public.china_day_end(as_of)
    and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
$$;
revoke execute on function minqing.grid_household_ids(integer, date) from public;

-- grid_stats' households and covered_households for one grid: aggregates, open to the street
-- like grid_stats itself.
create function public.grid_visit_counts(p_grid_id integer, as_of date)
returns table (households integer, covered_households integer)
language plpgsql stable security definer
set search_path = public, extensions
as $$
declare
  ids integer[] := minqing.grid_household_ids(p_grid_id, as_of);
begin
  return query
    select count(*)::int, count(*) filter (where s.covered)::int
    from minqing.household_status_of(as_of, ids) s
    where s.grid_id = p_grid_id;
end
$$;
revoke execute on function public.grid_visit_counts(integer, date) from public;
grant execute on function public.grid_visit_counts(integer, date) to authenticated, service_role;

create or replace function public.grid_overdue_households(p_grid_id integer, as_of date)
returns table (
  household_id integer, building_id integer, address text, unit text, room text,
  categories public.household_category[], at_risk boolean, last_visit date, due_date date, days_overdue integer
)
language plpgsql stable security definer
set search_path = public, extensions
as $$
declare
  ids integer[];
begin
  -- Server tasks run with no request claims; every API and PostgREST call has them.
  if nullif(current_setting('request.jwt.claims', true), '') is not null and minqing.grid_access(p_grid_id) = 'none' then
    return;
  end if;
  ids := minqing.grid_household_ids(p_grid_id, as_of);
  return query
    select s.household_id, s.building_id, b.address, h.unit, h.room, h.categories, s.at_risk,
      s.last_visit, s.due_date, as_of - s.due_date
    from minqing.household_status_of(as_of, ids) s
    join public.households h on h.id = s.household_id
    join public.buildings b on b.id = s.building_id
    where s.grid_id = p_grid_id and s.overdue
    order by s.at_risk desc, s.due_date, s.household_id;
end
$$;

-- =============================================================================================
-- 按期走访率 for some grids or for all: report_visit_timeliness's definition (meeting_mode.sql)
-- over the status of those grids' households only. report_visit_timeliness (the month report,
-- every grid of the caller's street) becomes this function for all grids, so one definition
-- serves both.
-- =============================================================================================
create function minqing.visit_timeliness(p_from date, p_to date, p_grid_ids integer[])
returns table (grid_id integer, due integer, done integer, on_time integer)
language plpgsql stable
set search_path = public, extensions
as $$
declare
  ids integer[];  -- null: every household
begin
  if p_grid_ids is not null then
    select coalesce(array_agg(x), '{}') into ids
    from unnest(p_grid_ids) g, unnest(minqing.grid_household_ids(g, p_from - 1)) x;
  end if;
  return query
    -- The month-end policy's counted methods and results, once per grid (not per row).
    with pol as (
      select g.id as grid_id, p.s -> 'countedMethods' as methods, (p.s ->> 'notHomeCounts')::boolean as not_home_counts
      from public.grids g cross join lateral (select public.policy_settings_at(g.community_id, p_to) as s) p
      where g.id = any (minqing.report_grid_ids()) and (p_grid_ids is null or g.id = any (p_grid_ids))
    ),
    st as (
      select s.household_id, s.grid_id, s.due_date, pol.methods, pol.not_home_counts
      from minqing.household_status_of(p_from - 1, ids) s
      join pol on pol.grid_id = s.grid_id
      join public.households h on h.id = s.household_id
      where s.due_date between p_from and p_to
        and (h.moved_out is null or h.moved_out > s.due_date)
    )
    -- One index probe per household (visits_household_visited_at_idx) for its first counted
    -- visit of the period: a join then aggregate misjudges the sizes and loops over every pair.
    select st.grid_id, count(*)::int, count(v.first_visit)::int,
      count(*) filter (where v.first_visit <= st.due_date)::int
    from st
    left join lateral (
      select min(public.china_date(x.visited_at)) as first_visit
      from public.visits x
      where x.household_id = st.household_id
        and x.visited_at >= (p_from::timestamp - interval '8 hours') at time zone 'UTC'
        and x.visited_at < ((p_to + 1)::timestamp - interval '8 hours') at time zone 'UTC'
        and st.methods ? x.method::text
        and (x.result = 'met' or st.not_home_counts)
    ) v on true
    group by st.grid_id;
end
$$;
revoke execute on function minqing.visit_timeliness(date, date, integer[]) from public;

create or replace function public.report_visit_timeliness(p_from date, p_to date)
returns table (grid_id integer, due integer, done integer, on_time integer)
language sql stable security definer
set search_path = public, extensions
as $$ select * from minqing.visit_timeliness(p_from, p_to, null) $$;

-- One grid's, for its panel: aggregates, open to the street like the month report.
create function public.grid_visit_timeliness(p_grid_id integer, p_from date, p_to date)
returns table (grid_id integer, due integer, done integer, on_time integer)
language sql stable security definer
set search_path = public, extensions
as $$ select * from minqing.visit_timeliness(p_from, p_to, array[p_grid_id]) $$;
revoke execute on function public.grid_visit_timeliness(integer, date, date) from public;
grant execute on function public.grid_visit_timeliness(integer, date, date) to authenticated, service_role;
