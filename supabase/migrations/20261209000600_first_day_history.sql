-- =============================================================================================
-- A street's first grids begin with its history (issue 18)
-- An import that redraws or adds to grids the product already knew changes the street from the
-- commit on: earlier dates keep the grids of then (docs/boundaries.md). But a street's first
-- grids, imported on its first day, are not a change: they are the street as it was before it
-- adopted the product, and the visit and matter ledgers that follow them are years old. So an
-- imported grid whose boundary overlaps no grid the product ever recorded begins, like a seeded
-- grid, at -infinity; one that overlaps any recorded grid (a redraw, a split, a neighbour's
-- land) begins at the commit, as before.
-- =============================================================================================
set check_function_bodies = off;

/**
 * Trigger on a new grid: writes its first version row. Outside a boundary commit it is version
 * `version` since -infinity ('created', as seeding writes it); an import ('imported', with who
 * and why) dates it from now, unless the ground it covers had no grid before: then from
 * -infinity, so the history ledgers imported after it count in it. Overlap is more than 1 m²,
 * as the boundary checks measure it (shared edges do not count).
 */
create or replace function minqing.grid_first_version() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  if coalesce(current_setting('minqing.boundary_commit', true), '') = 'on' then
    return null;
  end if;
  if coalesce(current_setting('minqing.change_kind', true), '') = 'imported' then
    insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                      staff_id, user_id, reason)
    values (new.id, new.version, new.community_id, new.code, new.name, new.boundary,
            case when exists (
                   select 1 from public.grid_versions v
                   where v.grid_id <> new.id and v.boundary && new.boundary
                     and ST_Area(ST_Intersection(v.boundary, new.boundary)::geography) > 1)
                 then now() else '-infinity' end,
            'imported', (select s.staff_id from minqing.my_staff() s limit 1), auth.uid(),
            nullif(current_setting('minqing.change_reason', true), ''));
  else
    insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind)
    values (new.id, new.version, new.community_id, new.code, new.name, new.boundary, '-infinity', 'created');
  end if;
  return null;
end
$$;

reset check_function_bodies;
