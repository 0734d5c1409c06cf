-- =============================================================================================
-- Imports: grids, buildings and household ledgers from files (issue #8; docs/import-export.md)
--
-- Every import is a dry run first: the API parses the file, checks it, and keeps the rows it
-- would write in `import_batches`, owned by the caller; the commit writes those rows in one
-- transaction as the caller, so row-level security decides here too what an import may touch:
--   grids and buildings  community staff, in their own community;
--   households           grid leaders and community staff, in their scope (existing policies).
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Import batches
-- The parsed rows of a household ledger are personal data (names, ID numbers): a batch is
-- visible to the one who uploaded it and to no one else, not even the street leader.
-- ---------------------------------------------------------------------------------------------
create table public.import_batches (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid(),
  kind text not null check (kind in ('grids', 'buildings', 'households')),
  file_name text not null,
  format text not null,
  -- The dry-run report as served (counts, problems, coordinate system, mapping).
  report jsonb not null,
  -- What the commit writes: one JSON object per row, with the action decided in the dry run.
  rows jsonb not null,
  created_at timestamptz not null default now(),
  committed_at timestamptz,
  committed jsonb
);
create index import_batches_owner_idx on public.import_batches (owner_id, created_at desc);

alter table public.import_batches enable row level security;

-- The uploader only: a dry run of a ledger holds the ledger.
create policy "Staff can read their own imports" on public.import_batches
  for select to authenticated using (owner_id = auth.uid());
create policy "Staff can start imports as themselves" on public.import_batches
  for insert to authenticated with check (owner_id = auth.uid());
-- Only to mark it committed, once: a committed batch is history.
create policy "Staff can commit their own pending imports" on public.import_batches
  for update to authenticated using (owner_id = auth.uid() and committed_at is null)
  with check (owner_id = auth.uid());
create policy "Staff can discard their own imports" on public.import_batches
  for delete to authenticated using (owner_id = auth.uid());
grant select, insert, delete on public.import_batches to authenticated;
grant update (committed_at, committed) on public.import_batches to authenticated;
grant all on public.import_batches to service_role;

-- ---------------------------------------------------------------------------------------------
-- Writing grids and buildings
-- Until now only migrations and the seed wrote the map. Community staff keep their community's
-- map (docs/access.md): they add grids and redraw them, add and correct buildings. A building's
-- grid is still derived (buildings_assign_grid runs before the check below, so the check sees
-- the grid the footprint falls in): a building outside the caller's grids is refused.
-- ---------------------------------------------------------------------------------------------
create function minqing.my_managed_community() returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select community_id from minqing.my_staff() where role = 'community_staff' $$;
revoke execute on function minqing.my_managed_community() from public;
grant execute on function minqing.my_managed_community() to authenticated, service_role;

-- Grids belong to a community; staff of that community, and no one else, add or change them.
create policy "Community staff can add grids to their community" on public.grids
  for insert to authenticated with check (community_id = (select minqing.my_managed_community()));
-- Moving a grid to another community is refused by the check as well as by the grant below.
create policy "Community staff can change their community's grids" on public.grids
  for update to authenticated
  using (community_id = (select minqing.my_managed_community()))
  with check (community_id = (select minqing.my_managed_community()));
grant insert (community_id, code, name, boundary) on public.grids to authenticated;
grant update (code, name, boundary, version, updated_at) on public.grids to authenticated;

-- The building's grid (set by the trigger from its footprint) must be one of the caller's
-- community: an import cannot place buildings in someone else's community, or in none.
create policy "Community staff can add buildings to their community's grids" on public.buildings
  for insert to authenticated with check (
    minqing.community_of_grid(grid_id) = (select minqing.my_managed_community())
  );
create policy "Community staff can correct buildings in their community's grids" on public.buildings
  for update to authenticated
  using (minqing.community_of_grid(grid_id) = (select minqing.my_managed_community()))
  with check (minqing.community_of_grid(grid_id) = (select minqing.my_managed_community()));
grant insert (address, name, floors, footprint) on public.buildings to authenticated;
grant update (address, name, floors, footprint) on public.buildings to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Re-deriving buildings' grids after grids change
-- buildings.grid_id is derived from the grids (buildings_assign_grid); when an import adds or
-- redraws grids, the buildings under them are re-derived. Definer rights because the buildings
-- concerned may be in no grid yet (no caller can update those), and harmless: it only sets each
-- building's grid to what the rule says. Returns how many buildings changed grid.
-- ---------------------------------------------------------------------------------------------
create function minqing.rederive_building_grids(p_area geometry) returns integer
language plpgsql security definer
set search_path = public, extensions
as $$
declare n integer;
begin
  with changed as (
    update public.buildings b
    set grid_id = public.grid_for_point(ST_PointOnSurface(b.footprint))
    where b.footprint && p_area
      and b.grid_id is distinct from public.grid_for_point(ST_PointOnSurface(b.footprint))
    returning 1
  )
  select count(*)::integer into n from changed;
  return n;
end
$$;
revoke execute on function minqing.rederive_building_grids(geometry) from public;
grant execute on function minqing.rederive_building_grids(geometry) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Grid codes are unique across every street on the server, but a caller reads only their own
-- street's grids: the dry run asks which of its codes are taken anywhere, so a clash is a clear
-- problem in the report rather than a unique violation at commit. Reveals only that a code is
-- in use, never where.
-- ---------------------------------------------------------------------------------------------
create function minqing.taken_grid_codes(p_codes text[]) returns setof text
language sql stable security definer
set search_path = public, extensions
as $$ select code from public.grids where code = any (p_codes) $$;
revoke execute on function minqing.taken_grid_codes(text[]) from public;
grant execute on function minqing.taken_grid_codes(text[]) to authenticated, service_role;
