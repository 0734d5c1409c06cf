-- =============================================================================================
-- Building tiles: candidates by the spatial index, then row-level security
-- Found by the district benchmark (issue #9): an uncached building tile took ~360 ms through the
-- API against ~7 ms for the same SQL as the table owner. Under row-level security PostgreSQL will
-- not use a qual whose operator is not leakproof as an index condition ahead of the policy, and
-- PostGIS's `&&` is not leakproof; so as the caller the tile query scanned all 61,641 buildings
-- and tested "Staff can read the buildings of their street" on each (287 ms in EXPLAIN ANALYZE
-- for a z15 box of 296 buildings). Integer equality is leakproof: the tile query now also asks
-- `t.id in (select minqing.tile_building_ids(box))`, which finds the box's buildings through the
-- spatial index, and the planner fetches those rows by primary key and applies the policy to
-- them only (6 ms for the same tile). Row-level security on public.buildings still decides every
-- row the tile carries; this function only narrows the candidates.
-- =============================================================================================

-- The buildings in a box that the caller may read, by the same rule as the select policy on
-- public.buildings (20261126000100_access.sql): in a grid of the caller's street, or in no grid
-- for the street leader. Without request claims (the table owner, the nightly jobs, the bench's
-- raw SQL) it is every building in the box, as row-level security would not apply there either.
-- Definer rights because grids and communities are themselves under row-level security; only ids
-- come out, and only ids the caller could read anyway.
create function minqing.tile_building_ids(p_box geometry) returns setof integer
language sql stable security definer
set search_path = public, extensions
as $$
  select b.id
  from public.buildings b
  where b.footprint && p_box
    and (
      nullif(current_setting('request.jwt.claims', true), '') is null
      or exists (select 1 from public.grids g join public.communities c on c.id = g.community_id
                 where g.id = b.grid_id and c.street_id = (select minqing.my_street_id()))
      or (b.grid_id is null and exists (select 1 from minqing.my_staff() me where me.role = 'street_leader'))
    )
$$;
revoke execute on function minqing.tile_building_ids(geometry) from public, anon;
grant execute on function minqing.tile_building_ids(geometry) to authenticated, service_role;
