-- =============================================================================================
-- Boundary history on every path (issues 5 and 8 together)
-- A boundary commit writes its versions itself (commit_grid_boundaries, under the setting
-- minqing.boundary_commit). Imports, and community staff correcting a grid through the API or a
-- Supabase client, update public.grids directly; without this trigger such a change would
-- rewrite the boundary with no version behind it, and statistics "as of" earlier dates would
-- silently use the new shape. Now every boundary change, whoever makes it, closes the open
-- version and opens the next, with who, why and how.
-- =============================================================================================

alter table public.grid_versions drop constraint grid_versions_kind_check;
alter table public.grid_versions add constraint grid_versions_kind_check
  check (kind in ('created', 'redrawn', 'split', 'merged', 'reverted', 'imported', 'edited'));

-- The version number follows the boundary, not the writer: a direct update that forgets (or
-- fakes) it still gets the next one, so optimistic concurrency (PUT with `version`) stays sound.
create function minqing.grid_version_follows_boundary() returns trigger
language plpgsql
set search_path = public, extensions
as $$
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') <> 'on'
     and not ST_Equals(new.boundary, old.boundary) then
    new.version := old.version + 1;
    new.updated_at := now();
  end if;
  return new;
end
$$;
create trigger grids_version_follows_boundary before update of boundary on public.grids
  for each row execute function minqing.grid_version_follows_boundary();

-- SECURITY DEFINER: the history is written by the database, never by the caller (who has no
-- grant on grid_versions); it records the caller's staff id as the author. The kind and reason
-- come from the settings minqing.change_kind ('imported' from the import commit) and
-- minqing.change_reason when the writer sets them.
create function minqing.grid_version_on_direct_change() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') = 'on' or new.version = old.version then
    return null;
  end if;
  update public.grid_versions set valid_to = now() where grid_id = new.id and valid_to is null;
  insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                    staff_id, user_id, reason)
  values (new.id, new.version, new.community_id, new.code, new.name, new.boundary, now(),
          coalesce(nullif(current_setting('minqing.change_kind', true), ''), 'edited'),
          (select s.staff_id from minqing.my_staff() s limit 1), auth.uid(),
          nullif(current_setting('minqing.change_reason', true), ''));
  return null;
end
$$;
revoke execute on function minqing.grid_version_on_direct_change() from public;
create trigger grids_version_on_direct_change after update of boundary on public.grids
  for each row execute function minqing.grid_version_on_direct_change();
