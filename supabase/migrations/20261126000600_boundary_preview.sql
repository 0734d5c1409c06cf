-- =============================================================================================
-- Boundary editing: what a redraw would move (issue 5)
-- Grid leaders redraw their own grid, but its neighbours' buildings belong to other leaders,
-- whose households they may not read. The preview needs only counts, so it reads them through
-- this aggregate — per building, no personal data — like the map's other aggregates.
-- =============================================================================================

-- Per building: current households, and the visits they require per month under the policy in
-- force for the building's community today (30.44 days ÷ the strictest category's interval).
create function public.building_workload(as_of date)
returns table (building_id integer, households integer, visits_per_month double precision)
language sql stable security definer
set search_path = public, extensions
as $$
  select h.building_id, count(*)::integer,
    sum(30.44 / (select min((pol.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c))
  from public.households h
  join public.buildings b on b.id = h.building_id
  left join public.grids g on g.id = b.grid_id
  cross join lateral (select public.policy_settings_at(g.community_id, as_of) as s) pol
  where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  group by h.building_id
$$;
revoke execute on function public.building_workload(date) from public;
grant execute on function public.building_workload(date) to authenticated, service_role;
