-- =============================================================================================
-- Grid codes and names after import (issue #8; docs/import-export.md "Grid codes")
--
-- Codes are generated at import in the 15-digit scheme (geo/import/grid-code.ts), but a city
-- may have its own, and a name or code is sometimes simply wrong. Community staff now correct
-- one grid's code and name (PATCH /api/grids/:id). Rules:
--   * A street declares its scheme: streets.grid_code_pattern null = the 15-digit scheme, else
--     the street's own pattern (a regular expression every code of the street must match).
--   * A code or name change is a new grid version (kind 'recoded' or 'renamed'), like a boundary
--     change: the open version is closed and the next one opened, with who and why. "As of" a
--     past date (GET /api/grids?asOf, the month report of a past month) still finds the code and
--     name in force then, and no closed month's snapshot is touched (the new rows start today).
--   * Who: community staff, for their own community's grids, as for imports and boundaries
--     (the policy "Community staff can change their community's grids", re-made below to refuse
--     a presentation too); grid leaders, members, the street leader and the presenter may not.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- A street's own code scheme
-- Declared by the administrator with one statement, e.g.
--   update public.streets set grid_code_pattern = '^WG[0-9]{6}$' where code = '…';
-- Written in the subset of regular expressions that JavaScript and PostgreSQL read alike
-- (anchors, [classes], {n,m}, ?, +, *, |, groups): the API checks codes with it and the web
-- app shows it as the hint. It must be anchored at both ends, so a code cannot merely contain a
-- match.
-- ---------------------------------------------------------------------------------------------
alter table public.streets
  add column grid_code_pattern text
  constraint streets_grid_code_pattern_anchored check (
    grid_code_pattern is null or (grid_code_pattern ~ '^\^' and grid_code_pattern ~ '\$$' and char_length(grid_code_pattern) <= 200)
  );

-- ---------------------------------------------------------------------------------------------
-- Version kinds for a code or name change
-- ---------------------------------------------------------------------------------------------
alter table public.grid_versions drop constraint grid_versions_kind_check;
alter table public.grid_versions add constraint grid_versions_kind_check
  check (kind in ('created', 'redrawn', 'split', 'merged', 'reverted', 'imported', 'edited', 'recoded', 'renamed'));

-- ---------------------------------------------------------------------------------------------
-- The version follows the code and name too
-- Until now a direct update bumped grids.version only when the boundary changed, so a code or
-- name changed in place: the open version kept the old code while the grid showed the new one,
-- and every past date read today's label. Now the version (and so the optimistic-concurrency
-- check of a boundary editor open on the old version) follows any of the three.
-- ---------------------------------------------------------------------------------------------
create or replace function minqing.grid_version_follows_boundary() returns trigger
language plpgsql
set search_path = public, extensions
as $$
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') <> 'on'
     and (not ST_Equals(new.boundary, old.boundary) or new.code is distinct from old.code or new.name is distinct from old.name) then
    new.version := old.version + 1;
    new.updated_at := now();
  end if;
  return new;
end
$$;
drop trigger grids_version_follows_boundary on public.grids;
create trigger grids_version_follows_boundary before update of boundary, code, name on public.grids
  for each row execute function minqing.grid_version_follows_boundary();

-- The kind says what changed when the writer does not (minqing.change_kind, e.g. 'imported'):
-- a new boundary 'edited', else a new code 'recoded' (with or without a new name), else 'renamed'.
-- The households of the grid do not change with its label: the closed version's count carries
-- over (null stays null: the versions API then counts them at the version's end).
create or replace function minqing.grid_version_on_direct_change() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  relabel boolean := ST_Equals(new.boundary, old.boundary);
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') = 'on' or new.version = old.version then
    return null;
  end if;
  update public.grid_versions set valid_to = now() where grid_id = new.id and valid_to is null;
  insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                    staff_id, user_id, reason, households)
  values (new.id, new.version, new.community_id, new.code, new.name, new.boundary, now(),
          coalesce(nullif(current_setting('minqing.change_kind', true), ''),
                   case when not relabel then 'edited' when new.code is distinct from old.code then 'recoded' else 'renamed' end),
          (select s.staff_id from minqing.my_staff() s limit 1), auth.uid(),
          nullif(current_setting('minqing.change_reason', true), ''),
          case when relabel then (select v.households from public.grid_versions v where v.grid_id = new.id and v.version = old.version) end);
  return null;
end
$$;
revoke execute on function minqing.grid_version_on_direct_change() from public;
drop trigger grids_version_on_direct_change on public.grids;
create trigger grids_version_on_direct_change after update of boundary, code, name on public.grids
  for each row execute function minqing.grid_version_on_direct_change();


-- ---------------------------------------------------------------------------------------------
-- Who changes a grid directly
-- The policy of 20261127000400_imports.sql, plus the rule of docs/access.md that a presentation
-- changes nothing whatever the role: community staff presenting at the 民情分析会 (header
-- X-Presentation: 1) cannot recode, rename, import or redraw a grid from the projector. Grid
-- leaders redraw through commit_grid_boundaries (its own checks) and never update grids directly.
-- ---------------------------------------------------------------------------------------------
drop policy "Community staff can change their community's grids" on public.grids;
create policy "Community staff can change their community's grids, except while presenting" on public.grids
  for update to authenticated
  using (community_id = (select minqing.my_managed_community()) and not (select minqing.presenting()))
  with check (community_id = (select minqing.my_managed_community()) and not (select minqing.presenting()));
