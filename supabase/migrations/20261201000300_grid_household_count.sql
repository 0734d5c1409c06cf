-- =============================================================================================
-- One grid's household count, by its indexes
-- Found by the district benchmark (issue #9, "first coloured map ≤ 2 s"): the map starts once the
-- grids' GeoJSON has arrived, and GET /api/grids took 640 ms for a street leader's 300 grids, most
-- of it in grid_household_counts(as_of), which counts every household of the database (549,311
-- at a district) to keep the caller's grids: 274 ms for one street. This counts one grid from
-- building_grid_history's grid index and the households' building index, with the same rule
-- (the building's grid at the end of the China day, households living there that day): 35 ms for
-- the same 300 grids, the same figures (compared on every grid of the district's street 1).
-- grid_household_counts stays for the callers that want every grid.
-- =============================================================================================
create function public.grid_household_count(p_grid_id integer, as_of date) returns integer
language sql stable security definer
set search_path = public, extensions
as $$
  select count(*)::integer
  from public.building_grid_history bg
  join public.households h on h.building_id = bg.building_id
  where bg.grid_id = p_grid_id
    and bg.valid_from < public.china_day_end(as_of) and (bg.valid_to is null or bg.valid_to >= public.china_day_end(as_of))
    and h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
$$;

-- A count, like grid_household_counts: no household is identified, so any signed-in caller may
-- ask (the grid's row itself is what row-level security guards, in the calling query).
revoke execute on function public.grid_household_count(integer, date) from public;
grant execute on function public.grid_household_count(integer, date) to authenticated, service_role;
