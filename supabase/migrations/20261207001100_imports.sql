-- =============================================================================================
-- Imports: grids, buildings and household ledgers from files (docs/import-export.md)
--
-- Every import is a dry run first: the API parses the file, checks it, and keeps the rows it
-- would write in `import_batches`, owned by the caller; the commit writes those rows in one
-- transaction as the caller, so row-level security decides here too what an import may touch:
--   grids and buildings  community staff, in their own community (the policies below, which
--                        also serve the map editor);
--   households           grid leaders and community staff, in their scope (*_access.sql).
-- Also here: re-deriving buildings' grids after grids change, the grid-code check of a dry run,
-- and how long a batch keeps the personal data it parsed. An imported grid's first version is
-- written by the boundary history's trigger (*_boundaries.sql).
-- =============================================================================================
set check_function_bodies = off;

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

-- Grids belong to a community; staff of that community, and no one else, add or change them.
create policy "Community staff can add grids to their community" on public.grids
  for insert to authenticated with check (community_id = (select minqing.my_managed_community()));

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

/** Sets the grid of every building in the area to what grid_for_point says; returns how many changed. */
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

/** Which of the given grid codes are in use anywhere on the server. */
create function minqing.taken_grid_codes(p_codes text[]) returns setof text
language sql stable security definer
set search_path = public, extensions
as $$ select code from public.grids where code = any (p_codes) $$;

revoke execute on function minqing.taken_grid_codes(text[]) from public;

grant execute on function minqing.taken_grid_codes(text[]) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Retention of import batches
-- A dry run keeps the rows it would write, and a ledger's rows are personal data (names, ID
-- numbers, phones); its report quotes cells too (a phone, an address, an ID number's first six
-- digits). Nothing needs them for long:
--   * a dry run not committed within 24 hours expires: the batch is deleted;
--   * a committed batch drops its rows at once, and a ledger's report keeps only what is not
--     personal: counts, problem counts, and each problem's code, severity and row number.
-- Enforced by the API: the commit seals its batch (minqing.seal_import_batch) in the commit's
-- transaction, and every dry run, every commit and the server's start purge what has expired
-- (minqing.purge_import_batches). No background job is needed: an expired batch can only be
-- read by its owner, and any owner's next import removes it.
-- ---------------------------------------------------------------------------------------------

/**
 * A dry-run report as a committed batch may keep it: unchanged for the geometry kinds
 * (communities, grids, buildings); for every table kind (household, visit and matters ledgers,
 * staff rosters), whose problems quote names, emails, addresses and contents, each problem
 * reduced to its code, severity and row number. Geometry is listed rather than tables, so a
 * new kind of table is stripped until someone decides otherwise.
 */
create function minqing.import_report_without_personal_data(p_kind text, p_report jsonb) returns jsonb
language sql immutable
as $$
  select case when p_kind in ('communities', 'grids', 'buildings') then p_report
    else p_report || jsonb_build_object(
      'problems', coalesce((
        select jsonb_agg(jsonb_strip_nulls(jsonb_build_object('code', p -> 'code', 'severity', p -> 'severity', 'row', p -> 'row'))
                         order by ord)
        from jsonb_array_elements(coalesce(p_report -> 'problems', '[]'::jsonb)) with ordinality as e(p, ord)), '[]'::jsonb),
      'personalDataRemoved', true)
  end
$$;

/**
 * Seals the caller's committed batch: records what the commit wrote, drops the parsed rows and
 * the report's personal data. Definer rights: the caller may not update a batch once it is
 * marked committed (the policy "Staff can commit their own pending imports"), and must not be
 * able to rewrite its rows or report at any time; this writes the counts and drops the rest,
 * for the caller's own batch only.
 */
create function minqing.seal_import_batch(p_id uuid, p_counts jsonb) returns void
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  update public.import_batches
  set committed = p_counts,
      rows = '[]'::jsonb,
      report = minqing.import_report_without_personal_data(kind, report)
  where id = p_id and owner_id = auth.uid() and committed_at is not null;
  if not found then
    raise exception 'import batch % is not a committed batch of the caller', p_id using errcode = '42501';
  end if;
end
$$;

revoke execute on function minqing.seal_import_batch(uuid, jsonb) from public;

grant execute on function minqing.seal_import_batch(uuid, jsonb) to authenticated, service_role;

/**
 * Deletes the dry runs nobody committed within 24 hours and strips the rows and personal report
 * data of any committed batch that still holds them (one committed before commits sealed their
 * batches). Returns how many batches were deleted. Definer rights because the expired
 * batches are anyone's: deleting them reveals nothing and removes personal data.
 */
create function minqing.purge_import_batches() returns integer
language plpgsql security definer
set search_path = public, extensions
as $$
declare n integer;
begin
  delete from public.import_batches where committed_at is null and created_at < now() - interval '24 hours';
  get diagnostics n = row_count;
  update public.import_batches
  set rows = '[]'::jsonb, report = minqing.import_report_without_personal_data(kind, report)
  where committed_at is not null and rows <> '[]'::jsonb;
  return n;
end
$$;

revoke execute on function minqing.purge_import_batches() from public;

grant execute on function minqing.purge_import_batches() to authenticated, service_role;

comment on table public.import_batches is 'An import''s dry run: the parsed rows and report, visible to its uploader only, sealed at commit.';

reset check_function_bodies;
