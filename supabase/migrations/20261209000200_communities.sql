-- =============================================================================================
-- Communities of a real street (issue 18): the street leader creates and redraws the street's
-- communities (POST/PATCH /api/communities, POST /api/imports?kind=communities) and may import
-- grids for the whole street, each grid going to the community that contains it
-- (docs/import-export.md). The checks a community's boundary must pass (a valid polygon, inside
-- the street when the street has a boundary of its own, no overlap with the street's other
-- communities) are made by the API before it writes (api/communities/); this file holds what
-- the database itself must keep true whoever writes: who may write, the version that refuses a
-- stale save, and the street's boundary when the street was set up without one.
-- =============================================================================================
set check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- Communities: a boundary that may come later, and a version
-- A street set up by name and code creates its communities by name and code too, and their
-- boundaries arrive with the planning bureau's file; until then a community has none (the map
-- draws its grids, and grids are checked against each other only). `version` counts changes of
-- name, code or boundary so that an editor holding an old copy is refused (409 stale_version),
-- as grids are; a trigger bumps it whoever writes, like grids' (*_boundaries.sql).
-- ---------------------------------------------------------------------------------------------
alter table public.communities alter column boundary drop not null;
alter table public.communities add column version integer not null default 1 check (version >= 1);
alter table public.communities add column updated_at timestamptz not null default now();

/** Before an update of a community's name, code or boundary: the next version, whatever the writer sent. */
create function minqing.community_version_follows_change() returns trigger
language plpgsql
set search_path = public, extensions
as $$
begin
  if new.code is distinct from old.code or new.name is distinct from old.name
     or not coalesce(ST_Equals(new.boundary, old.boundary), new.boundary is null and old.boundary is null) then
    new.version := old.version + 1;
    new.updated_at := now();
  else
    new.version := old.version;
  end if;
  return new;
end
$$;
create trigger communities_version_follows_change before update of code, name, boundary on public.communities
  for each row execute function minqing.community_version_follows_change();

-- Who created and changed communities is in the audit log, as for grids.
create trigger communities_audit after insert or update or delete on public.communities
  for each row execute function minqing.audit_row_change();

-- ---------------------------------------------------------------------------------------------
-- The street's boundary, from its communities
-- A street set up without a boundary (20261209000100_setup.sql) takes the union of its
-- communities' boundaries, kept by a trigger so that every writer (the API, an import, a
-- Supabase client) leaves it right; `boundary_from_communities` says the boundary is derived
-- and not the street's own, so it never constrains the communities it comes from ("inside the
-- street" is checked only against a boundary the street was given). A street with its own
-- boundary keeps it.
-- ---------------------------------------------------------------------------------------------
alter table public.streets add column boundary_from_communities boolean not null default false;
update public.streets set boundary_from_communities = true where boundary is null;

/**
 * After communities change: a street whose boundary is derived (or still missing) takes the
 * union of its communities' boundaries again (null while none has one). Definer rights: nobody
 * but this trigger writes a street's boundary, and it writes only the union.
 */
create function minqing.street_boundary_from_communities() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  update public.streets s
  set boundary = (select ST_Multi(ST_CollectionExtract(ST_UnaryUnion(ST_Collect(c.boundary)), 3))
                  from public.communities c where c.street_id = s.id and c.boundary is not null),
      boundary_from_communities = true
  where (s.boundary is null or s.boundary_from_communities)
    and s.id in (select street_id from changed_rows);
  return null;
end
$$;

revoke execute on function minqing.street_boundary_from_communities() from public;

-- Statement triggers with the changed rows: an import of twenty communities unions once.
create trigger communities_street_boundary_ins after insert on public.communities
  referencing new table as changed_rows
  for each statement execute function minqing.street_boundary_from_communities();
create trigger communities_street_boundary_upd after update on public.communities
  referencing new table as changed_rows
  for each statement execute function minqing.street_boundary_from_communities();
create trigger communities_street_boundary_del after delete on public.communities
  referencing old table as changed_rows
  for each statement execute function minqing.street_boundary_from_communities();

-- ---------------------------------------------------------------------------------------------
-- Who writes communities: the street leader of their street, never while presenting
-- ---------------------------------------------------------------------------------------------

/** The street the caller leads (role street_leader), or null. */
create function minqing.my_led_street() returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select street_id from minqing.my_staff() where role = 'street_leader' $$;

revoke execute on function minqing.my_led_street() from public;

grant execute on function minqing.my_led_street() to authenticated, service_role;

create policy "Street leaders can add communities to their street" on public.communities
  for insert to authenticated
  with check (street_id = (select minqing.my_led_street()) and not (select minqing.presenting()));
create policy "Street leaders can change the communities of their street" on public.communities
  for update to authenticated
  using (street_id = (select minqing.my_led_street()) and not (select minqing.presenting()))
  with check (street_id = (select minqing.my_led_street()) and not (select minqing.presenting()));

grant insert (street_id, code, name, boundary) on public.communities to authenticated;

grant update (code, name, boundary) on public.communities to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Street-wide grid imports: the street leader adds and redraws (by code) the grids of any
-- community of their street. The boundary editor keeps its own rules (boundary_editor_role),
-- and PATCH /api/grids/:id its own check: these policies serve the import's direct writes.
-- ---------------------------------------------------------------------------------------------
create policy "Street leaders can add grids to the communities of their street" on public.grids
  for insert to authenticated
  with check (
    exists (select 1 from public.communities c
            where c.id = grids.community_id and c.street_id = (select minqing.my_led_street()))
    and not (select minqing.presenting())
  );
create policy "Street leaders can redraw the grids of their street by import" on public.grids
  for update to authenticated
  using (
    exists (select 1 from public.communities c
            where c.id = grids.community_id and c.street_id = (select minqing.my_led_street()))
    and not (select minqing.presenting())
  )
  with check (
    exists (select 1 from public.communities c
            where c.id = grids.community_id and c.street_id = (select minqing.my_led_street()))
  );

-- ---------------------------------------------------------------------------------------------
-- Community codes are unique across every street on the server, but a caller reads only their
-- own street's communities: the dry run and the API ask which codes are taken anywhere, so a
-- clash is a clear problem rather than a unique violation. Reveals only that a code is in use.
-- ---------------------------------------------------------------------------------------------

/** Which of the given community codes are in use anywhere on the server. */
create function minqing.taken_community_codes(p_codes text[]) returns setof text
language sql stable security definer
set search_path = public, extensions
as $$ select code from public.communities where code = any (p_codes) $$;

revoke execute on function minqing.taken_community_codes(text[]) from public;

grant execute on function minqing.taken_community_codes(text[]) to authenticated, service_role;

comment on column public.communities.version is 'Counts changes of name, code or boundary; a save naming an older version is refused.';
comment on column public.streets.boundary_from_communities is 'The boundary is the union of the communities'' (kept by a trigger), not the street''s own.';
comment on function minqing.my_led_street() is 'The street the caller leads as street leader, or null.';
comment on function minqing.taken_community_codes(text[]) is 'Which of the given community codes are in use anywhere on the server.';
comment on function minqing.street_boundary_from_communities() is 'Trigger: a street without a boundary of its own takes the union of its communities''.';

reset check_function_bodies;
