-- =============================================================================================
-- Boundaries: grids' boundaries over time, and how they are redrawn
--
-- Holds the history that statistics "as of" a past date read (grid_versions: every boundary
-- a grid has had; building_grid_history: which grid each building lay in, when), the functions
-- that answer "as of D" from it, and the one path that redraws boundaries: lock the grids,
-- commit the change (redraw, split, merge, revert) and move the buildings whose footprint now
-- falls in another grid, or, for a grid leader taking buildings from a grid they do not lead, a
-- proposal that the community's staff approve or reject. Direct updates of public.grids (an
-- import, an API correction) are versioned too, by triggers at the end of this file.
-- The grids and buildings tables are in *_places.sql; who may read them, and the audit trigger,
-- in *_access.sql; the per-building workload the editor's preview reads in *_metrics.sql.
-- docs/boundaries.md describes the editing flow.
-- =============================================================================================
set check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- Grid versions
-- One row per boundary a grid has had; the open one (valid_to null) equals grids.boundary and
-- grids.version. `households` is the grid's current households when the version was written
-- (null for versions loaded with the street: the API then counts them at the version's end).
-- ---------------------------------------------------------------------------------------------
create table public.grid_versions (
  grid_id integer not null references public.grids (id) on delete cascade,
  version integer not null check (version >= 1),
  community_id integer not null references public.communities (id) on delete restrict,
  code text not null,
  name text not null,
  boundary geometry(MultiPolygon, 4326) not null,
  valid_from timestamptz not null default '-infinity',
  valid_to timestamptz,
  kind text not null constraint grid_versions_kind_check
    check (kind in ('created', 'redrawn', 'split', 'merged', 'reverted', 'imported', 'edited', 'recoded', 'renamed')),
  -- Who and why; no foreign key to staff so that history outlives staff records.
  staff_id integer,
  user_id uuid,
  reason text,
  households integer,
  -- The other grid of a split or merge; the version a revert went back to; the proposal applied.
  related_grid_ids integer[] not null default '{}',
  reverted_to integer,
  proposal_id integer,
  primary key (grid_id, version),
  constraint grid_versions_interval check (valid_to is null or valid_to >= valid_from),
  constraint grid_versions_boundary_is_valid check (ST_IsValid(boundary) and not ST_IsEmpty(boundary))
);

create unique index grid_versions_one_open on public.grid_versions (grid_id) where valid_to is null;

create index grid_versions_community_idx on public.grid_versions (community_id);

create index grid_versions_boundary_gist on public.grid_versions using gist (boundary);

-- ---------------------------------------------------------------------------------------------
-- Building → grid over time
-- Maintained by triggers on buildings, so every path that changes buildings.grid_id (a boundary
-- commit, a re-imported footprint) leaves history behind. grid_id is null for a building outside
-- every grid.
-- ---------------------------------------------------------------------------------------------
create table public.building_grid_history (
  building_id integer not null references public.buildings (id) on delete cascade,
  grid_id integer references public.grids (id) on delete cascade,
  valid_from timestamptz not null,
  valid_to timestamptz,
  primary key (building_id, valid_from),
  constraint building_grid_history_interval check (valid_to is null or valid_to >= valid_from)
);

create unique index building_grid_history_one_open on public.building_grid_history (building_id) where valid_to is null;

create index building_grid_history_grid_idx on public.building_grid_history (grid_id);

/**
 * Trigger on a new grid: writes its first version row. Outside a boundary commit it is version
 * `version` since -infinity ('created', as seeding writes it); an import ('imported', with who
 * and why) dates it from now, unless the ground it covers had no grid before: then from
 * -infinity. A street's first grids, imported on its first day, are not a change but the street
 * as it was before it adopted the product, and the visit and matter ledgers imported after them
 * are years old; a grid over ground a recorded grid covered (a redraw, a split, a neighbour's
 * land) changes the street from the commit on. Overlap is more than 1 m², as the boundary checks
 * measure it (shared edges do not count). The commit function writes its own rows for the grids
 * a split creates.
 */
create function minqing.grid_first_version() returns trigger
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
create trigger grids_first_version after insert on public.grids
  for each row execute function minqing.grid_first_version();

/**
 * Trigger on buildings: records a building's grid from -infinity when it is inserted, then one
 * row per change of grid. Two changes in one transaction (same now()) fold into one row rather
 * than a zero-length one.
 */
create function minqing.building_grid_track() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.building_grid_history (building_id, grid_id, valid_from) values (new.id, new.grid_id, '-infinity');
  elsif new.grid_id is distinct from old.grid_id then
    update public.building_grid_history set grid_id = new.grid_id
    where building_id = new.id and valid_to is null and valid_from = now();
    if not found then
      update public.building_grid_history set valid_to = now() where building_id = new.id and valid_to is null;
      insert into public.building_grid_history (building_id, grid_id, valid_from) values (new.id, new.grid_id, now());
    end if;
  end if;
  return null;
end
$$;
create trigger buildings_grid_history after insert or update of grid_id on public.buildings
  for each row execute function minqing.building_grid_track();

-- ---------------------------------------------------------------------------------------------
-- As of a date: what was in force just before the China day ended
-- ---------------------------------------------------------------------------------------------

/** Each building's grid at the end of China day D (null for a building outside every grid). */
create function public.building_grids_at(as_of date)
returns table (building_id integer, grid_id integer)
language sql stable security definer
set search_path = public, extensions
as $$
  select h.building_id, h.grid_id from public.building_grid_history h
  where h.valid_from < public.china_day_end(as_of)
    and (h.valid_to is null or h.valid_to >= public.china_day_end(as_of))
$$;

/** The version of each grid in force at the end of China day D; a grid not yet created or already retired has none. */
create function public.grid_versions_at(as_of date)
returns table (grid_id integer, version integer, community_id integer, code text, name text, boundary geometry)
language sql stable security definer
set search_path = public, extensions
as $$
  select v.grid_id, v.version, v.community_id, v.code, v.name, v.boundary from public.grid_versions v
  where v.valid_from < public.china_day_end(as_of)
    and (v.valid_to is null or v.valid_to >= public.china_day_end(as_of))
$$;

revoke execute on function public.china_day_end(date), public.building_grids_at(date), public.grid_versions_at(date) from public;

grant execute on function public.china_day_end(date), public.building_grids_at(date), public.grid_versions_at(date)
  to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Proposals
-- A grid leader's change that takes buildings from a grid they do not lead waits here for the
-- staff of the community. The geometry and the neighbours' geometries are kept as drawn; an
-- approval applies them through the same commit path, re-checking versions and validity.
-- ---------------------------------------------------------------------------------------------
create table public.boundary_proposals (
  id integer generated always as identity primary key,
  grid_id integer not null references public.grids (id) on delete cascade,
  community_id integer not null references public.communities (id) on delete restrict,
  base_version integer not null,
  geometry geometry(MultiPolygon, 4326) not null,
  -- Neighbours redrawn with it: [{"gridId","version","geometry"}].
  neighbours jsonb not null default '[]',
  reason text not null check (char_length(btrim(reason)) >= 2),
  -- The grids whose leaders must see it: the grid itself and those it takes buildings from.
  affected_grid_ids integer[] not null,
  impact jsonb,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  proposed_by integer,
  proposed_at timestamptz not null default now(),
  decided_by integer,
  decided_at timestamptz,
  note text,
  committed_version integer,
  constraint boundary_proposals_decided check ((status = 'pending') = (decided_at is null))
);

create index boundary_proposals_community_status_idx on public.boundary_proposals (community_id, status);

create index boundary_proposals_geometry_gist on public.boundary_proposals using gist (geometry);

-- ---------------------------------------------------------------------------------------------
-- Who may redraw
-- 'community_staff' for staff of the grid's community, 'grid_leader' for a leader serving the
-- grid, null for everyone else (street leader, presenter, members, other communities, and any
-- presentation request). geo/domain/staff.ts's editBoundaries mirrors this; this decides.
-- ---------------------------------------------------------------------------------------------

/** The caller's right to redraw a grid: 'community_staff', 'grid_leader' or null. */
create function minqing.boundary_editor_role(p_grid_id integer) returns text
language sql stable security definer
set search_path = public, extensions
as $$
  select case
    when minqing.presenting() then null
    when me.role = 'community_staff' and g.community_id = me.community_id then 'community_staff'
    when me.role = 'grid_leader'
      and exists (select 1 from public.staff_grids sg where sg.staff_id = me.staff_id and sg.grid_id = g.id) then 'grid_leader'
  end
  from minqing.my_staff() me join public.grids g on g.id = p_grid_id
$$;

-- ---------------------------------------------------------------------------------------------
-- Step one of every commit: lock the grids (in id order, so two commits never deadlock) and
-- report their versions and last change, so the API can refuse a stale version naming who
-- changed it. The caller must be able to redraw at least one of them (a leader proposing a
-- change to a neighbour locks the neighbour's row to read its version consistently).
-- ---------------------------------------------------------------------------------------------

/**
 * Locks the grids for update and returns, per grid: its version, community, whether retired,
 * the caller's editor role, its active leaders, and who changed it last, when and how.
 */
create function public.lock_grids_for_boundary_edit(p_grid_ids integer[])
returns table (
  grid_id integer, version integer, community_id integer, retired boolean, editor_role text,
  leader_ids integer[], changed_by text, changed_at timestamptz, change_kind text
)
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  if not exists (select 1 from unnest(p_grid_ids) x(id) where minqing.boundary_editor_role(x.id) is not null) then
    raise exception 'you may not redraw grid %: boundaries are redrawn by the grid''s leader or its community''s staff', p_grid_ids[1]
      using errcode = 'insufficient_privilege';
  end if;
  perform 1 from public.grids g where g.id = any (p_grid_ids) order by g.id for update;
  return query
    select g.id, g.version, g.community_id, g.retired_at is not null, minqing.boundary_editor_role(g.id),
      array(select sg.staff_id from public.staff_grids sg join public.staff s on s.id = sg.staff_id
            where sg.grid_id = g.id and s.role = 'grid_leader' and s.active order by sg.staff_id),
      public.staff_display_name(v.staff_id), v.valid_from, v.kind
    from public.grids g
    left join public.grid_versions v on v.grid_id = g.id and v.valid_to is null
    where g.id = any (p_grid_ids)
    order by g.id;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- The commit
-- p_changes: a JSON array, one element per grid touched:
--   {"gridId", "version", "geometry"}                 a grid's new boundary (redraw, revert, the
--                                                      kept part of a split, a merge's keeper)
--   {"gridId", "version", "retireInto"}                a grid merged into another
--   {"create": {"code","name"}, "from", "geometry"}   the new grid of a split (put it first: the
--                                                      grids changed after it list it as related)
-- optional per element: "relatedGridIds", "revertedTo", "name" (a rename). p_kind is the
-- version kind written.
-- Everything below happens in the caller's transaction: any error undoes all of it.
-- Returns {"grids":[{"gridId","version"}], "moved":[{"buildingId","from","to"}]}.
-- The API validates geometry first (the geo/ validator and PostGIS, as the preview does); this
-- function re-checks what must hold whoever calls it: the caller's right, each version, and
-- that the result is a valid polygon.
-- ---------------------------------------------------------------------------------------------

/**
 * Applies a boundary change: checks the caller's right and each grid's version, closes the old
 * version rows and writes the new ones (with who, why, the kind and the proposal), creates or
 * retires grids for a split or merge, moves the buildings whose point on surface now lies in
 * another grid, records the grids' household counts, and notifies open maps.
 */
create function public.commit_grid_boundaries(p_changes jsonb, p_kind text, p_reason text, p_proposal_id integer default null)
returns jsonb
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  me record;
  c jsonb;
  g record;
  gid integer;
  geom geometry;
  touched integer[] := '{}';
  created integer[] := '{}';
  area geometry := null;
  result_grids jsonb := '[]';
  moved jsonb;
begin
  select * into me from minqing.my_staff();
  if me.staff_id is null then
    raise exception 'only staff of a street redraw grids' using errcode = 'insufficient_privilege';
  end if;
  if p_kind not in ('redrawn', 'split', 'merged', 'reverted') then
    raise exception 'unknown change kind %', p_kind using errcode = 'invalid_parameter_value';
  end if;
  if p_reason is null or char_length(btrim(p_reason)) < 2 then
    raise exception 'a boundary change needs a reason' using errcode = 'invalid_parameter_value';
  end if;
  perform set_config('minqing.boundary_commit', 'on', true);

  for c in select * from jsonb_array_elements(p_changes) loop
    if c ? 'create' then
      -- The new grid of a split: same community as the grid it came from.
      select * into g from public.grids where id = (c ->> 'from')::integer;
      if g.id is null or minqing.boundary_editor_role(g.id) is null then
        raise exception 'you may not split grid %', c ->> 'from' using errcode = 'insufficient_privilege';
      end if;
      geom := ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(c ->> 'geometry'), 4326));
      insert into public.grids (community_id, code, name, boundary)
      values (g.community_id, c -> 'create' ->> 'code', c -> 'create' ->> 'name', geom)
      returning id into gid;
      insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                        staff_id, user_id, reason, related_grid_ids, proposal_id)
      values (gid, 1, g.community_id, c -> 'create' ->> 'code', c -> 'create' ->> 'name', geom, now(), p_kind,
              me.staff_id, auth.uid(), btrim(p_reason), array[g.id], p_proposal_id);
      touched := touched || gid;
      created := created || gid;
      area := case when area is null then geom else ST_Collect(area, geom) end;
      result_grids := result_grids || jsonb_build_object('gridId', gid, 'version', 1, 'created', true);
      continue;
    end if;

    gid := (c ->> 'gridId')::integer;
    select * into g from public.grids where id = gid for update;
    if g.id is null then
      raise exception 'no grid %', gid using errcode = 'no_data_found';
    end if;
    if minqing.boundary_editor_role(gid) is null then
      raise exception 'you may not redraw grid %', gid using errcode = 'insufficient_privilege';
    end if;
    if g.retired_at is not null then
      raise exception 'grid % was retired on %', gid, g.retired_at using errcode = 'object_not_in_prerequisite_state';
    end if;
    if g.version <> (c ->> 'version')::integer then
      raise exception 'grid % is at version %, not %', gid, g.version, c ->> 'version' using errcode = 'serialization_failure';
    end if;
    area := case when area is null then g.boundary else ST_Collect(area, g.boundary) end;
    update public.grid_versions set valid_to = now() where grid_id = gid and valid_to is null;

    if c ? 'retireInto' then
      update public.grids set retired_at = now(), retired_into = (c ->> 'retireInto')::integer, updated_at = now()
      where id = gid;
    else
      geom := ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(c ->> 'geometry'), 4326));
      if not ST_IsValid(geom) or ST_IsEmpty(geom) then
        raise exception 'the new boundary of grid % is not a valid polygon: %', gid, ST_IsValidReason(geom)
          using errcode = 'invalid_parameter_value';
      end if;
      update public.grids set boundary = geom, version = g.version + 1, name = coalesce(nullif(btrim(c ->> 'name'), ''), g.name),
        updated_at = now()
      where id = gid;
      insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, valid_from, kind,
                                        staff_id, user_id, reason, related_grid_ids, reverted_to, proposal_id)
      values (gid, g.version + 1, g.community_id, g.code, coalesce(nullif(btrim(c ->> 'name'), ''), g.name), geom, now(), p_kind,
              me.staff_id, auth.uid(), btrim(p_reason),
              -- A split lists the new grid (created earlier in this call) as related.
              coalesce(array(select jsonb_array_elements_text(c -> 'relatedGridIds')::integer), '{}') || created,
              (c ->> 'revertedTo')::integer, p_proposal_id);
      area := case when area is null then geom else ST_Collect(area, geom) end;
      result_grids := result_grids || jsonb_build_object('gridId', gid, 'version', g.version + 1);
    end if;
    touched := touched || gid;
  end loop;

  -- Buildings whose point on surface now lies in another grid (the rule of places.sql). The
  -- triggers write building_grid_history and the audit log for each.
  with changed as (
    select b.id, b.grid_id as before, public.grid_for_point(ST_PointOnSurface(b.footprint)) as after
    from public.buildings b
    where b.footprint && area or b.grid_id = any (touched)
  ),
  upd as (
    update public.buildings b set grid_id = changed.after
    from changed where b.id = changed.id and changed.after is distinct from changed.before
    returning b.id, changed.before, changed.after
  )
  select coalesce(jsonb_agg(jsonb_build_object('buildingId', id, 'from', before, 'to', after) order by id), '[]')
  into moved from upd;

  -- Households then, for the versions just written.
  update public.grid_versions v set households = coalesce((
      select sum(c.households)::integer from public.building_household_counts(public.china_date(now())) c
      join public.buildings b on b.id = c.building_id where b.grid_id = v.grid_id), 0)
  where v.grid_id = any (touched) and v.valid_to is null and v.valid_from = now();

  -- Open maps refresh: the grids redrawn and those that gained or lost buildings.
  perform pg_notify('minqing_changes', json_build_object('table', 'grids', 'gridId', x.id)::text)
  from (select unnest(touched) as id
        union select (m ->> 'from')::integer from jsonb_array_elements(moved) m where m ->> 'from' is not null
        union select (m ->> 'to')::integer from jsonb_array_elements(moved) m where m ->> 'to' is not null) x;

  return jsonb_build_object('grids', result_grids, 'moved', moved);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Proposing and deciding
-- ---------------------------------------------------------------------------------------------

/**
 * Stores a grid leader's proposed boundary (and redrawn neighbours) for the community's staff
 * to decide, with its reason, the grids it affects and its previewed impact; notifies the
 * affected grids' open maps. Returns the proposal's id.
 */
create function public.propose_grid_boundary(
  p_grid_id integer, p_base_version integer, p_geometry jsonb, p_neighbours jsonb, p_reason text,
  p_affected integer[], p_impact jsonb
) returns integer
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  me record;
  new_id integer;
begin
  select * into me from minqing.my_staff();
  if minqing.boundary_editor_role(p_grid_id) is null then
    raise exception 'you may not propose a boundary for grid %', p_grid_id using errcode = 'insufficient_privilege';
  end if;
  insert into public.boundary_proposals (grid_id, community_id, base_version, geometry, neighbours, reason,
                                         affected_grid_ids, impact, proposed_by)
  select p_grid_id, g.community_id, p_base_version, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(p_geometry::text), 4326)),
    coalesce(p_neighbours, '[]'), btrim(p_reason), p_affected, p_impact, me.staff_id
  from public.grids g where g.id = p_grid_id
  returning id into new_id;
  perform pg_notify('minqing_changes', json_build_object('table', 'boundary_proposals', 'gridId', x)::text)
  from unnest(p_affected) x;
  return new_id;
end
$$;

/**
 * Approves or rejects a pending proposal: staff of the proposal's community, once, never while
 * presenting. An approval's commit happens first, in the same transaction
 * (public.commit_grid_boundaries with p_proposal_id), and its version is recorded here.
 */
create function public.decide_boundary_proposal(p_id integer, p_status text, p_note text, p_committed_version integer)
returns void
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  me record;
  p record;
begin
  select * into me from minqing.my_staff();
  select * into p from public.boundary_proposals where id = p_id for update;
  if p.id is null then
    raise exception 'no boundary proposal %', p_id using errcode = 'no_data_found';
  end if;
  if minqing.presenting() or me.role is distinct from 'community_staff' or me.community_id is distinct from p.community_id then
    raise exception 'boundary proposals are decided by the staff of their community' using errcode = 'insufficient_privilege';
  end if;
  if p.status <> 'pending' then
    raise exception 'boundary proposal % was already %', p_id, p.status using errcode = 'object_not_in_prerequisite_state';
  end if;
  if p_status not in ('approved', 'rejected') then
    raise exception 'a proposal is approved or rejected, not %', p_status using errcode = 'invalid_parameter_value';
  end if;
  update public.boundary_proposals
  set status = p_status, decided_by = me.staff_id, decided_at = now(), note = nullif(btrim(coalesce(p_note, '')), ''),
      committed_version = p_committed_version
  where id = p_id;
  perform pg_notify('minqing_changes', json_build_object('table', 'boundary_proposals', 'gridId', x)::text)
  from unnest(p.affected_grid_ids) x;
end
$$;

revoke execute on function minqing.boundary_editor_role(integer), minqing.grid_first_version(), minqing.building_grid_track(),
  public.lock_grids_for_boundary_edit(integer[]), public.commit_grid_boundaries(jsonb, text, text, integer),
  public.propose_grid_boundary(integer, integer, jsonb, jsonb, text, integer[], jsonb),
  public.decide_boundary_proposal(integer, text, text, integer) from public;

grant execute on function minqing.boundary_editor_role(integer),
  public.lock_grids_for_boundary_edit(integer[]), public.commit_grid_boundaries(jsonb, text, text, integer),
  public.propose_grid_boundary(integer, integer, jsonb, jsonb, text, integer[], jsonb),
  public.decide_boundary_proposal(integer, text, text, integer) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- Boundaries, their history and proposals are map geometry and working notes, not personal
-- data: every staff member of the street reads them (like the grids themselves). Nobody writes
-- them directly: there is no insert, update or delete policy, and no such grant; the definer
-- functions above are the only writers, and each checks the caller.
-- ---------------------------------------------------------------------------------------------
alter table public.grid_versions enable row level security;

alter table public.building_grid_history enable row level security;

alter table public.boundary_proposals enable row level security;

-- The community's street is the caller's street.
create policy "Staff can read the boundary history of their street" on public.grid_versions
  for select to authenticated using (
    exists (select 1 from public.communities c
            where c.id = grid_versions.community_id and c.street_id = (select minqing.my_street_id()))
  );

-- Through the grids policy: a building's past grids are readable where the grid is.
create policy "Staff can read which grid each building belonged to in their street" on public.building_grid_history
  for select to authenticated using (
    exists (select 1 from public.grids g where g.id = building_grid_history.grid_id)
  );

-- Proposals are read street-wide so the leaders of the grids they touch, and the street, see them.
create policy "Staff can read the boundary proposals of their street" on public.boundary_proposals
  for select to authenticated using (
    exists (select 1 from public.communities c
            where c.id = boundary_proposals.community_id and c.street_id = (select minqing.my_street_id()))
  );

grant select on public.grid_versions, public.building_grid_history, public.boundary_proposals to authenticated;

grant all on public.grid_versions, public.building_grid_history, public.boundary_proposals to service_role;

-- ---------------------------------------------------------------------------------------------
-- Audit and live changes
-- grids and buildings are audited (*_access.sql): a commit logs the grid's old and new
-- row and every building that moved. The version row carries the reason and the kind; the
-- proposal rows their decision and note.
-- ---------------------------------------------------------------------------------------------
create trigger grid_versions_audit after insert or update or delete on public.grid_versions
  for each row execute function minqing.audit_row_change();
create trigger boundary_proposals_audit after insert or update or delete on public.boundary_proposals
  for each row execute function minqing.audit_row_change();

-- =============================================================================================
-- Boundary history on every path
-- A boundary commit writes its versions itself (commit_grid_boundaries, under the setting
-- minqing.boundary_commit). Imports, and community staff correcting a grid through the API or a
-- Supabase client, update public.grids directly; without these triggers such a change would
-- rewrite the boundary with no version behind it, and statistics "as of" earlier dates would
-- silently use the new shape. So every change of a grid's boundary, code or name, whoever makes
-- it, closes the open version and opens the next, with who, why and how.
-- =============================================================================================

/**
 * Before a direct update of a grid's boundary, code or name: the version number follows the
 * change, not the writer. A direct update that forgets (or fakes) it still gets the next one,
 * so optimistic concurrency (PUT with `version`) stays sound.
 */
create function minqing.grid_version_follows_boundary() returns trigger
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
create trigger grids_version_follows_boundary before update of boundary, code, name on public.grids
  for each row execute function minqing.grid_version_follows_boundary();

/**
 * After a direct update that changed the version: closes the open version row and writes the
 * next ('edited' for a new boundary, 'recoded' or 'renamed' for a relabel, which keeps the
 * household count). SECURITY DEFINER: the history is written by the database, never by the
 * caller (who has no grant on grid_versions); it records the caller's staff id as the author.
 * The kind and reason come from the settings minqing.change_kind ('imported' from the import
 * commit) and minqing.change_reason when the writer sets them.
 */
create function minqing.grid_version_on_direct_change() returns trigger
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
create trigger grids_version_on_direct_change after update of boundary, code, name on public.grids
  for each row execute function minqing.grid_version_on_direct_change();

-- ---------------------------------------------------------------------------------------------
-- Direct changes of a grid: its community's staff, never during a presentation (which must not
-- change anything it shows). Adding grids and buildings is in *_imports.sql.
-- ---------------------------------------------------------------------------------------------

revoke execute on function minqing.grid_version_on_direct_change() from public;
create policy "Community staff can change their community's grids, except while presenting" on public.grids
  for update to authenticated
  using (community_id = (select minqing.my_managed_community()) and not (select minqing.presenting()))
  with check (community_id = (select minqing.my_managed_community()) and not (select minqing.presenting()));

comment on table public.grid_versions is 'Every boundary (and code and name) a grid has had, with when, who, why and how it changed.';
comment on table public.building_grid_history is 'Which grid each building lay in over time; null grid outside every grid.';
comment on table public.boundary_proposals is 'A grid leader''s boundary change awaiting the decision of the community''s staff.';
comment on function public.building_grids_at(date) is 'Each building''s grid at the end of a China day.';
comment on function public.grid_versions_at(date) is 'The version of each grid in force at the end of a China day.';
comment on function public.lock_grids_for_boundary_edit(integer[]) is 'Locks grids for a boundary edit and reports their versions and last change.';
comment on function public.commit_grid_boundaries(jsonb, text, text, integer) is 'Applies a redraw, split, merge or revert and moves the buildings it affects.';
comment on function public.propose_grid_boundary(integer, integer, jsonb, jsonb, text, integer[], jsonb) is 'Stores a grid leader''s boundary proposal for the community''s staff to decide.';
comment on function public.decide_boundary_proposal(integer, text, text, integer) is 'Approves or rejects a pending boundary proposal.';

reset check_function_bodies;
