-- =============================================================================================
-- Access: who may read and change what, and what they see masked
--
-- Scope is data, not code: a staff record (public.staff, *_people.sql) ties a signed-in user to
-- a street, a role and, for community staff, a community; staff_grids lists the grids of grid
-- leaders and members. From these this file derives, once per statement, the grids whose people
-- the caller sees in full and those whose rows it may know exist, masked (the street leader sees
-- the whole street masked; a presentation masks everything). It holds:
--   - the scope helpers (minqing.my_staff, full_grid_ids, visible_grid_ids, grid_access, …);
--   - the masking functions (张*明, 138****5678);
--   - the row-level security policies and grants of streets, communities, grids, buildings,
--     roads, visit policies, staff, households, visits, patrols and issues;
--   - the masked *_records views through which the API reads people;
--   - the append-only audit log, the triggers that fill it, its masked view, and the logged
--     "show details" of a household;
--   - the candidate buildings of a map tile under row-level security.
-- The write policies for grids and buildings are in *_imports.sql and *_boundaries.sql, and
-- the policies of month-end figures, meetings and imports sit with their tables in those
-- areas' files. docs/access.md states the rules in words.
-- =============================================================================================
set check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- The caller and their scope
-- Definer rights throughout: the policies call these, and staff, grids and communities are
-- themselves under row-level security.
-- ---------------------------------------------------------------------------------------------

/** The caller's active staff record (id, role, street, community); no row without one. */
create function minqing.my_staff() returns table (
  staff_id integer, role public.staff_role, street_id integer, community_id integer
)
language sql stable security definer
set search_path = public, extensions
as $$
  select s.id, s.role, s.street_id, s.community_id from public.staff s
  where s.user_id = auth.uid() and s.active
$$;

/** The caller's street; null without an active staff record. */
create function minqing.my_street_id() returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select street_id from minqing.my_staff() $$;

/**
 * True when personal fields must be masked whatever the role: the presenter, or any request
 * the API marked as a presentation.
 */
create function minqing.presenting() returns boolean
language plpgsql stable security definer
set search_path = public, extensions
as $$
begin
  return coalesce((select role = 'presenter' from minqing.my_staff()), false)
      or coalesce((auth.jwt() ->> 'presentation')::boolean, false);
end
$$;

/**
 * The grids of the caller's own scope: every grid of their community for community staff, the
 * grids staff_grids lists for grid leaders and members, none for anyone else. With
 * full_grid_ids and visible_grid_ids it gives the grids whose people the caller may see in
 * full (names, phones, notes) and those whose rows it may know exist, masked. Arrays computed
 * once per statement, so that a policy over tens of thousands of visits does not call a
 * function per row.
 */
create function minqing.scope_grid_ids() returns integer[]
language plpgsql stable security definer
set search_path = public, extensions
as $$
begin
  return (
  select coalesce(array_agg(distinct x.id), '{}')
  from (
    select g.id
    from minqing.my_staff() me
    join public.grids g on g.community_id = me.community_id
    where me.role = 'community_staff'
    union all
    select g.id
    from minqing.my_staff() me
    join public.staff_grids sg on sg.staff_id = me.staff_id
    join public.grids g on g.id = sg.grid_id
    where me.role in ('grid_leader', 'grid_member')
  ) x);
end
$$;

/** The grids whose people the caller may see in full: their scope, or none during a presentation. */
create function minqing.full_grid_ids() returns integer[]
language plpgsql stable security definer
set search_path = public, extensions
as $$
begin
  return case when minqing.presenting() then '{}'::integer[] else minqing.scope_grid_ids() end;
end
$$;

/**
 * The grids whose rows the caller may know exist, masked where not full: every grid of the
 * street for the street leader, the caller's scope for others, none without a staff record.
 */
create function minqing.visible_grid_ids() returns integer[]
language plpgsql stable security definer
set search_path = public, extensions
as $$
begin
  return (
  select case
    when me.role = 'street_leader' then (
      select coalesce(array_agg(g.id), '{}') from public.grids g
      join public.communities c on c.id = g.community_id where c.street_id = me.street_id)
    else minqing.scope_grid_ids()
  end
  from minqing.my_staff() me
  union all select '{}'::integer[]
  limit 1);
end
$$;

/**
 * The caller's access to one grid's people: 'full', 'masked' or 'none' (not even that the rows
 * exist).
 */
create function minqing.grid_access(p_grid_id integer) returns text
language sql stable security definer
set search_path = public, extensions
as $$
  select case
    when p_grid_id = any (minqing.full_grid_ids()) then 'full'
    when p_grid_id = any (minqing.visible_grid_ids()) then 'masked'
    else 'none'
  end
$$;

/** Write scope: whether the caller may change a grid's households, visits, patrols and issues (full access). */
create function minqing.can_work_in_grid(p_grid_id integer) returns boolean
language sql stable security definer
set search_path = public, extensions
as $$
  select minqing.grid_access(p_grid_id) = 'full'
$$;

/** A building's current grid. */
create function minqing.grid_of_building(p_building_id integer) returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select grid_id from public.buildings where id = p_building_id $$;

/** A household's current grid: its building's. */
create function minqing.grid_of_household(p_household_id integer) returns integer
language sql stable security definer
set search_path = public, extensions
as $$
  select b.grid_id from public.households h join public.buildings b on b.id = h.building_id
  where h.id = p_household_id
$$;

/**
 * The buildings in the caller's full (p_full) or visible grids, as a row set for the read
 * policies: an uncorrelated IN is computed once per statement and hashed.
 */
create function minqing.scope_building_ids(p_full boolean) returns setof integer
language sql stable security definer
set search_path = public, extensions
as $$
  select b.id from public.buildings b
  where b.grid_id = any (case when p_full then minqing.full_grid_ids() else minqing.visible_grid_ids() end)
$$;

/** The households in the buildings of scope_building_ids(p_full), likewise for the read policies. */
create function minqing.scope_household_ids(p_full boolean) returns setof integer
language sql stable security definer
set search_path = public, extensions
as $$
  select h.id from public.households h
  where h.building_id in (select minqing.scope_building_ids(p_full))
$$;

revoke execute on function minqing.my_staff(), minqing.my_street_id(), minqing.presenting(), minqing.scope_grid_ids(),
  minqing.full_grid_ids(), minqing.visible_grid_ids(), minqing.grid_access(integer), minqing.can_work_in_grid(integer),
  minqing.grid_of_building(integer), minqing.grid_of_household(integer), minqing.scope_building_ids(boolean),
  minqing.scope_household_ids(boolean) from public;
grant execute on function minqing.my_staff(), minqing.my_street_id(), minqing.presenting(), minqing.scope_grid_ids(),
  minqing.full_grid_ids(), minqing.visible_grid_ids(), minqing.grid_access(integer), minqing.can_work_in_grid(integer),
  minqing.grid_of_building(integer), minqing.grid_of_household(integer), minqing.scope_building_ids(boolean),
  minqing.scope_household_ids(boolean) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Masking
-- The shapes people recognise from bank and government sites: 张*明, 138****5678. Free text
-- (visit notes, reporter address or work unit) is replaced whole: any part of it may identify.
-- ---------------------------------------------------------------------------------------------

/** A name with all but its first and last characters starred: 张*明, 张* for two characters. */
create function minqing.mask_name(v text) returns text
language sql immutable
as $$
  select case
    when v is null then null
    when char_length(v) <= 1 then '*'
    when char_length(v) = 2 then left(v, 1) || '*'
    else left(v, 1) || repeat('*', char_length(v) - 2) || right(v, 1)
  end
$$;

/** A phone number with its middle starred: 138****5678 from 11 characters up, else only the last two kept. */
create function minqing.mask_phone(v text) returns text
language sql immutable
as $$
  select case
    when v is null then null
    when char_length(v) >= 11 then left(v, 3) || repeat('*', char_length(v) - 7) || right(v, 4)
    when char_length(v) >= 5 then repeat('*', char_length(v) - 2) || right(v, 2)
    else repeat('*', char_length(v))
  end
$$;

/**
 * ID numbers: the birth date (digits 7–14) and most of the rest are what identify; keeps only
 * the first and last character so a worker can still tell two records apart.
 */
create function minqing.mask_id_number(v text) returns text
language sql immutable
as $$
  select case
    when v is null then null
    when char_length(v) <= 2 then repeat('*', char_length(v))
    else left(v, 1) || repeat('*', char_length(v) - 2) || right(v, 1)
  end
$$;

/** Free text replaced whole by ***: any part of it may identify. */
create function minqing.mask_text(v text) returns text
language sql immutable
as $$ select case when v is null then null else '***' end $$;

/** A row image of the audit log with its personal keys masked the same way; other keys as they are. */
create function minqing.mask_row_image(j jsonb) returns jsonb
language sql immutable
as $$
  select case when j is null then null else j
    || case when j ? 'head_name' then jsonb_build_object('head_name', minqing.mask_name(j ->> 'head_name')) else '{}' end
    || case when j ? 'phone' then jsonb_build_object('phone', minqing.mask_phone(j ->> 'phone')) else '{}' end
    || case when j ? 'id_number' then jsonb_build_object('id_number', minqing.mask_id_number(j ->> 'id_number')) else '{}' end
    || case when j ? 'notes' then jsonb_build_object('notes', minqing.mask_text(j ->> 'notes')) else '{}' end
    || case when j ? 'reporter_name' then jsonb_build_object('reporter_name', minqing.mask_name(j ->> 'reporter_name')) else '{}' end
    || case when j ? 'reporter_contact' then jsonb_build_object('reporter_contact', minqing.mask_phone(j ->> 'reporter_contact')) else '{}' end
    || case when j ? 'reporter_address' then jsonb_build_object('reporter_address', minqing.mask_text(j ->> 'reporter_address')) else '{}' end
    || case when j ? 'reporter_work_unit' then jsonb_build_object('reporter_work_unit', minqing.mask_text(j ->> 'reporter_work_unit')) else '{}' end
  end
$$;

revoke execute on function minqing.mask_name(text), minqing.mask_phone(text), minqing.mask_id_number(text),
  minqing.mask_text(text), minqing.mask_row_image(jsonb) from public;
grant execute on function minqing.mask_name(text), minqing.mask_phone(text), minqing.mask_id_number(text),
  minqing.mask_text(text), minqing.mask_row_image(jsonb) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Places and visit policies: staff read their own street's
-- `(select …)` makes the planner evaluate the caller's street once per query, not per row.
-- ---------------------------------------------------------------------------------------------
create policy "Staff can read their own street" on public.streets
  for select to authenticated using (id = (select minqing.my_street_id()));
create policy "Staff can read the communities of their street" on public.communities
  for select to authenticated using (street_id = (select minqing.my_street_id()));
create policy "Staff can read the grids of their street" on public.grids
  for select to authenticated using (
    exists (select 1 from public.communities c
            where c.id = grids.community_id and c.street_id = (select minqing.my_street_id()))
  );

-- A building outside every grid belongs to no community; only the street leader is shown it, so
-- someone notices and draws it into a grid.
create policy "Staff can read the buildings of their street" on public.buildings
  for select to authenticated using (
    exists (select 1 from public.grids g join public.communities c on c.id = g.community_id
            where g.id = buildings.grid_id and c.street_id = (select minqing.my_street_id()))
    or (grid_id is null and exists (select 1 from minqing.my_staff() me where me.role = 'street_leader'))
  );
create policy "Staff can read the roads of their street" on public.roads
  for select to authenticated using (street_id = (select minqing.my_street_id()));
create policy "Staff can read the visit policies of their street" on public.visit_policies
  for select to authenticated using (street_id = (select minqing.my_street_id()));

-- ---------------------------------------------------------------------------------------------
-- Staff and their scopes
-- Staff names and work phones are on the 网格公示牌 boards, so colleagues in the street may read
-- them; the presenter reads only its own record. Community staff manage their own community's
-- team and its grid assignments (a member may serve two grids).
-- ---------------------------------------------------------------------------------------------
create policy "Staff can read their colleagues in the street" on public.staff
  for select to authenticated using (
    user_id = auth.uid()
    or (street_id = (select minqing.my_street_id()) and not (select minqing.presenting()))
  );
create policy "Community staff can add staff to their community" on public.staff
  for insert to authenticated with check (
    exists (select 1 from minqing.my_staff() me
            where me.role = 'community_staff' and me.community_id = staff.community_id
              and me.street_id = staff.street_id)
    and role in ('grid_leader', 'grid_member', 'community_staff')
  );
create policy "Community staff can update staff of their community" on public.staff
  for update to authenticated
  using (exists (select 1 from minqing.my_staff() me
                 where me.role = 'community_staff' and me.community_id = staff.community_id))
  with check (exists (select 1 from minqing.my_staff() me
                      where me.role = 'community_staff' and me.community_id = staff.community_id)
              and role in ('grid_leader', 'grid_member', 'community_staff'));

create policy "Staff can read grid assignments in their street" on public.staff_grids
  for select to authenticated using (
    staff_id = (select staff_id from minqing.my_staff())
    or (exists (select 1 from public.grids g where g.id = staff_grids.grid_id) and not (select minqing.presenting()))
  );
create policy "Community staff can assign staff to their community's grids" on public.staff_grids
  for insert to authenticated with check (
    exists (select 1 from minqing.my_staff() me join public.grids g on g.community_id = me.community_id
            where me.role = 'community_staff' and g.id = staff_grids.grid_id)
  );
create policy "Community staff can remove assignments in their community's grids" on public.staff_grids
  for delete to authenticated using (
    exists (select 1 from minqing.my_staff() me join public.grids g on g.community_id = me.community_id
            where me.role = 'community_staff' and g.id = staff_grids.grid_id)
  );

grant select on public.staff, public.staff_grids to authenticated;

grant insert, update (name, phone, email, role, active) on public.staff to authenticated;

grant insert, delete on public.staff_grids to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Households
-- Full rows for the grid's own team and its community staff; grid leaders and community staff
-- keep the ledger; grid members read it (they log visits, not ledger changes).
-- ---------------------------------------------------------------------------------------------
create policy "Grid teams and community staff can read households in their scope" on public.households
  for select to authenticated using (building_id in (select minqing.scope_building_ids(true)));
create policy "Grid leaders and community staff can add households in their scope" on public.households
  for insert to authenticated with check (
    minqing.can_work_in_grid(minqing.grid_of_building(building_id))
    and exists (select 1 from minqing.my_staff() me where me.role in ('grid_leader', 'community_staff'))
  );
create policy "Grid leaders and community staff can update households in their scope" on public.households
  for update to authenticated
  using (minqing.can_work_in_grid(minqing.grid_of_building(building_id))
         and exists (select 1 from minqing.my_staff() me where me.role in ('grid_leader', 'community_staff')))
  -- The new building must be in scope too: a household cannot be moved out of sight.
  with check (minqing.can_work_in_grid(minqing.grid_of_building(building_id)));

grant select, insert, update on public.households to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Visits and patrols
-- A visit is logged by the signed-in worker as themself, for a household in their scope.
-- Patrol times are work records, readable by whoever may read the grid's people.
-- ---------------------------------------------------------------------------------------------
create policy "Grid teams and community staff can read visits in their scope" on public.visits
  for select to authenticated using (household_id in (select minqing.scope_household_ids(true)));
create policy "Workers can log their own visits in their scope" on public.visits
  for insert to authenticated with check (
    visitor_id = (select staff_id from minqing.my_staff())
    and minqing.can_work_in_grid(minqing.grid_of_household(household_id))
  );

grant select, insert on public.visits to authenticated;

create policy "Staff who may see a grid's people can read its patrols" on public.patrols
  for select to authenticated using (grid_id = any ((select minqing.visible_grid_ids())::integer[]));
create policy "Grid teams can log their own patrols" on public.patrols
  for insert to authenticated with check (
    staff_id = (select staff_id from minqing.my_staff()) and minqing.can_work_in_grid(grid_id)
  );

-- Stopping a patrol sets its end and track; only its own walker may, and only while it is open.
create policy "Grid teams can finish their own open patrols" on public.patrols
  for update to authenticated
  using (staff_id = (select staff_id from minqing.my_staff()) and ended_at is null)
  with check (staff_id = (select staff_id from minqing.my_staff()) and minqing.can_work_in_grid(grid_id));

grant select, insert, update (ended_at, track) on public.patrols to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Issues and their events
-- ---------------------------------------------------------------------------------------------
create policy "Grid teams and community staff can read issues in their scope" on public.issues
  for select to authenticated using (grid_id = any ((select minqing.full_grid_ids())::integer[]));
create policy "Grid teams and community staff can register issues in their scope" on public.issues
  for insert to authenticated with check (minqing.can_work_in_grid(grid_id));
create policy "Grid teams and community staff can handle issues in their scope" on public.issues
  for update to authenticated
  using (minqing.can_work_in_grid(grid_id)) with check (minqing.can_work_in_grid(grid_id));

grant select, insert, update on public.issues to authenticated;

create policy "Staff who may read an issue can read its events" on public.issue_events
  for select to authenticated using (
    exists (select 1 from public.issues i where i.id = issue_events.issue_id)
  );
create policy "Staff who may handle an issue can add events as themselves" on public.issue_events
  for insert to authenticated with check (
    actor_id = (select staff_id from minqing.my_staff())
    and exists (select 1 from public.issues i
                where i.id = issue_events.issue_id and minqing.can_work_in_grid(i.grid_id))
  );

grant select, insert on public.issue_events to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Masked reading: the *_records views
-- Views run with their owner's rights (security_invoker off), so they see every row; their
-- WHERE clause is the scope and their CASEs the masking. This is the one deliberate use of
-- definer rights for reading: it lets the street leader know a household exists without
-- reading its name. security_barrier keeps a caller's predicates from running before the scope.
-- Each has a `masked` column: true where the caller reads the row masked.
-- ---------------------------------------------------------------------------------------------

/**
 * Households in the caller's visible grids, with their building's address and grid; head
 * name, phone and ID number masked outside the caller's full grids.
 */
create view public.household_records with (security_barrier) as
with ids as materialized (select minqing.full_grid_ids() as f, minqing.visible_grid_ids() as v),
acc as materialized (
  select f.id as grid_id, 'full' as access from ids, unnest(ids.f) f(id)
  union all
  select v.id, 'masked' from ids, unnest(ids.v) v(id) where not v.id = any (ids.f))
select h.id, h.building_id, b.grid_id, b.address, h.unit, h.room,
  case when acc.access = 'full' then h.head_name else minqing.mask_name(h.head_name) end as head_name,
  case when acc.access = 'full' then h.phone else minqing.mask_phone(h.phone) end as phone,
  case when acc.access = 'full' then h.id_number else minqing.mask_id_number(h.id_number) end as id_number,
  h.members, h.categories, h.classification, h.moved_in, h.moved_out,
  acc.access <> 'full' as masked
from public.households h
join public.buildings b on b.id = h.building_id
join acc on acc.grid_id = b.grid_id
where acc.access in ('full', 'masked');

/** Visits to households in the caller's visible grids, with the visitor's name; notes masked outside the full grids. */
create view public.visit_records with (security_barrier) as
with ids as materialized (select minqing.full_grid_ids() as f, minqing.visible_grid_ids() as v),
acc as materialized (
  select f.id as grid_id, 'full' as access from ids, unnest(ids.f) f(id)
  union all
  select v.id, 'masked' from ids, unnest(ids.v) v(id) where not v.id = any (ids.f))
select v.id, v.household_id, b.grid_id, v.visitor_id, public.staff_display_name(v.visitor_id) as visitor_name,
  v.visited_at, v.method, v.result, v.duration_min,
  case when acc.access = 'full' then v.notes else minqing.mask_text(v.notes) end as notes,
  v.flagged_for_review, acc.access <> 'full' as masked
from public.visits v
join public.households h on h.id = v.household_id
join public.buildings b on b.id = h.building_id
join acc on acc.grid_id = b.grid_id
where acc.access in ('full', 'masked');

/** Issues in the caller's visible grids; the reporter's name, contact, address and work unit masked outside the full grids. */
create view public.issue_records with (security_barrier) as
with ids as materialized (select minqing.full_grid_ids() as f, minqing.visible_grid_ids() as v),
acc as materialized (
  select f.id as grid_id, 'full' as access from ids, unnest(ids.f) f(id)
  union all
  select v.id, 'masked' from ids, unnest(ids.v) v(id) where not v.id = any (ids.f))
select i.id, i.reg_no, i.category, i.description, i.location, i.grid_id, i.building_id, i.household_id,
  case when acc.access = 'full' then i.reporter_name else minqing.mask_name(i.reporter_name) end as reporter_name,
  case when acc.access = 'full' then i.reporter_address else minqing.mask_text(i.reporter_address) end as reporter_address,
  case when acc.access = 'full' then i.reporter_work_unit else minqing.mask_text(i.reporter_work_unit) end as reporter_work_unit,
  case when acc.access = 'full' then i.reporter_contact else minqing.mask_phone(i.reporter_contact) end as reporter_contact,
  i.complexity, i.tier, i.status, i.received_at, i.due_at, i.closed_at, i.evaluation,
  acc.access <> 'full' as masked,
  i.escalated_from, i.original_due_at, i.extension_reason
from public.issues i
join acc on acc.grid_id = i.grid_id
where acc.access in ('full', 'masked');

revoke all on public.household_records, public.visit_records, public.issue_records from public, anon;

grant select on public.household_records, public.visit_records, public.issue_records to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Audit log: who changed what, and who viewed whose personal data
-- Append-only. Written only by the definer functions below (no insert policy), read through
-- audit_records by community staff (their community) and the street leader (the street, with
-- personal values masked). Server tasks (migrations, seeding) have no caller and are not
-- logged here: the migration ledger records them.
-- ---------------------------------------------------------------------------------------------
create table public.audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  -- No foreign keys: the log must outlive the staff records and rows it mentions.
  user_id uuid,
  staff_id integer,
  action text not null check (action in ('insert', 'update', 'delete', 'view_personal')),
  table_name text not null,
  row_ids integer[] not null default '{}',
  street_id integer,
  community_id integer,
  old_values jsonb,
  new_values jsonb,
  reason text
);

create index audit_log_at_idx on public.audit_log (at desc);

create index audit_log_community_at_idx on public.audit_log (community_id, at desc);

alter table public.audit_log enable row level security;

/** Refuses any update, delete or truncate of the audit log. */
create function public.audit_log_is_append_only() returns trigger
language plpgsql
as $$
begin
  raise exception 'the audit log is append-only: % is not allowed', tg_op
    using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_append_only
  before update or delete on public.audit_log
  for each row execute function public.audit_log_is_append_only();
create trigger audit_log_no_truncate
  before truncate on public.audit_log
  for each statement execute function public.audit_log_is_append_only();

/** A grid's community: the community a changed row belongs to, so community staff see their own community's log. */
create function minqing.community_of_grid(p_grid_id integer) returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select community_id from public.grids where id = p_grid_id $$;

/**
 * Row trigger on the watched tables: logs who changed which row, the old and new row images, and
 * the row's street and community. Changes without a signed-in user (server tasks) are not logged.
 */
create function minqing.audit_row_change() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  img jsonb := to_jsonb(coalesce(new, old));
  community integer;
  me record;
begin
  if auth.uid() is null then
    return coalesce(new, old);
  end if;
  select * into me from minqing.my_staff();
  community := case tg_table_name
    when 'households' then minqing.community_of_grid(minqing.grid_of_building((img ->> 'building_id')::integer))
    when 'visits' then minqing.community_of_grid(minqing.grid_of_household((img ->> 'household_id')::integer))
    when 'buildings' then minqing.community_of_grid((img ->> 'grid_id')::integer)
    when 'issues' then minqing.community_of_grid((img ->> 'grid_id')::integer)
    when 'patrols' then minqing.community_of_grid((img ->> 'grid_id')::integer)
    when 'staff_grids' then minqing.community_of_grid((img ->> 'grid_id')::integer)
    else (img ->> 'community_id')::integer
  end;
  insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, old_values, new_values)
  values (
    auth.uid(), me.staff_id, lower(tg_op), tg_table_name,
    case when img ? 'id' then array[(img ->> 'id')::integer] else array[(img ->> 'grid_id')::integer] end,
    coalesce(me.street_id, (select street_id from public.communities where id = community)), community,
    case when tg_op <> 'INSERT' then to_jsonb(old) end,
    case when tg_op <> 'DELETE' then to_jsonb(new) end
  );
  return coalesce(new, old);
end
$$;

revoke execute on function minqing.community_of_grid(integer), minqing.audit_row_change() from public;
grant execute on function minqing.community_of_grid(integer), minqing.audit_row_change() to authenticated, service_role;

create trigger households_audit after insert or update or delete on public.households
  for each row execute function minqing.audit_row_change();
create trigger visits_audit after insert or update or delete on public.visits
  for each row execute function minqing.audit_row_change();
create trigger issues_audit after insert or update or delete on public.issues
  for each row execute function minqing.audit_row_change();
create trigger patrols_audit after insert or update or delete on public.patrols
  for each row execute function minqing.audit_row_change();
create trigger staff_audit after insert or update or delete on public.staff
  for each row execute function minqing.audit_row_change();
create trigger staff_grids_audit after insert or update or delete on public.staff_grids
  for each row execute function minqing.audit_row_change();
create trigger visit_policies_audit after insert or update or delete on public.visit_policies
  for each row execute function minqing.audit_row_change();
create trigger grids_audit after insert or update or delete on public.grids
  for each row execute function minqing.audit_row_change();
create trigger buildings_audit after insert or update or delete on public.buildings
  for each row execute function minqing.audit_row_change();

/**
 * The audit log as the caller may read it: community staff their own community's entries, in
 * full except while presenting; the street leader the whole street's, with personal values
 * masked; no one else anything.
 */
create view public.audit_records with (security_barrier) as
select a.id, a.at, a.user_id, a.staff_id, public.staff_display_name(a.staff_id) as staff_name, a.action,
  a.table_name, a.row_ids, a.community_id,
  case when full_scope then a.old_values else minqing.mask_row_image(a.old_values) end as old_values,
  case when full_scope then a.new_values else minqing.mask_row_image(a.new_values) end as new_values,
  a.reason
from public.audit_log a
cross join lateral (
  select me.role, me.community_id = a.community_id and me.role = 'community_staff' and not minqing.presenting() as full_scope
  from minqing.my_staff() me
  where a.street_id = me.street_id
    and (me.role = 'street_leader' or (me.role = 'community_staff' and me.community_id = a.community_id))
) me;

revoke all on public.audit_records, public.audit_log from public, anon;

grant select on public.audit_records to authenticated, service_role;

grant all on public.audit_log to service_role;

-- ---------------------------------------------------------------------------------------------
-- Viewing personal data
-- reveal_household is the street leader's "show details": allowed where the caller may know the
-- household exists, never during a presentation, always with a reason, always logged.
-- record_personal_view lets the API log the full-scope reads it served (a grid list, a detail).
-- ---------------------------------------------------------------------------------------------

/**
 * A household's name, phone and ID number, after logging the view with its reason. Refused for
 * a household the caller may not know exists, during a presentation, for a role that reads it
 * masked (other than the street leader), and without a reason of at least two characters.
 */
create function public.reveal_household(p_household_id integer, p_reason text)
returns table (id integer, head_name text, phone text, id_number text)
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  grid integer := minqing.grid_of_household(p_household_id);
  access text := minqing.grid_access(grid);
  me record;
begin
  select * into me from minqing.my_staff();
  if grid is null or access = 'none' then
    raise exception 'household % is not in your scope', p_household_id using errcode = 'no_data_found';
  end if;
  if minqing.presenting() then
    raise exception 'personal data cannot be shown during a presentation' using errcode = 'insufficient_privilege';
  end if;
  if access <> 'full' and me.role <> 'street_leader' then
    raise exception 'your role may not reveal personal data' using errcode = 'insufficient_privilege';
  end if;
  if p_reason is null or char_length(btrim(p_reason)) < 2 then
    raise exception 'a reason is required to show personal data' using errcode = 'invalid_parameter_value';
  end if;
  insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, reason)
  values (auth.uid(), me.staff_id, 'view_personal', 'households', array[p_household_id], me.street_id,
          minqing.community_of_grid(grid), btrim(p_reason));
  return query select h.id, h.head_name, h.phone, h.id_number from public.households h where h.id = p_household_id;
end
$$;

/**
 * Logs a full-scope read the API served (a grid list, a detail): which table's rows, in which
 * grid, why. Nothing is logged for a caller without a staff record, or for no rows.
 */
create function public.record_personal_view(p_table text, p_ids integer[], p_grid_id integer, p_reason text)
returns void
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  me record;
begin
  select * into me from minqing.my_staff();
  if me.staff_id is null or cardinality(p_ids) = 0 then
    return;
  end if;
  insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, reason)
  values (auth.uid(), me.staff_id, 'view_personal', p_table, p_ids, me.street_id,
          minqing.community_of_grid(p_grid_id), p_reason);
end
$$;

revoke execute on function public.reveal_household(integer, text), public.record_personal_view(text, integer[], integer, text) from public;

grant execute on function public.reveal_household(integer, text), public.record_personal_view(text, integer[], integer, text)
  to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Events for those who read issues masked (the street leader): a note may name people, so it is
-- masked exactly when the issue's reporter fields are.
-- ---------------------------------------------------------------------------------------------

/** The events of the issues in the caller's visible grids, with the actor's name; the note masked outside the full grids. */
create view public.issue_event_records with (security_barrier) as
with ids as materialized (select minqing.full_grid_ids() as f, minqing.visible_grid_ids() as v),
acc as materialized (
  select f.id as grid_id, 'full' as access from ids, unnest(ids.f) f(id)
  union all
  select v.id, 'masked' from ids, unnest(ids.v) v(id) where not v.id = any (ids.f))
select e.id, e.issue_id, e.at, e.actor_id, public.staff_display_name(e.actor_id) as actor_name,
  e.kind, e.from_status, e.to_status, e.details,
  case when acc.access = 'full' then e.note else minqing.mask_text(e.note) end as note
from public.issue_events e
join public.issues i on i.id = e.issue_id
join acc on acc.grid_id = i.grid_id
where acc.access in ('full', 'masked');

revoke all on public.issue_event_records from public, anon;

grant select on public.issue_event_records to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Writing grids and buildings
-- Community staff keep their community's map (docs/access.md): they add grids and redraw them,
-- add and correct buildings. A building's grid is still derived (buildings_assign_grid runs
-- before the policies' checks, so they see the grid the footprint falls in): a building outside
-- the caller's community is refused. The policies are in *_imports.sql and *_boundaries.sql.
-- ---------------------------------------------------------------------------------------------

/** The community the caller manages when they are community staff; null otherwise. */
create function minqing.my_managed_community() returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select community_id from minqing.my_staff() where role = 'community_staff' $$;

revoke execute on function minqing.my_managed_community() from public;

grant execute on function minqing.my_managed_community() to authenticated, service_role;

-- =============================================================================================
-- Building tiles: candidates by the spatial index, then row-level security
-- Under row-level security PostgreSQL will not use a qual whose operator is not leakproof as an
-- index condition ahead of the policy, and PostGIS's `&&` is not leakproof: as the caller, a
-- tile query would scan every building and test "Staff can read the buildings of their street"
-- on each. Integer equality is leakproof: the tile query (api/lib/vector-tiles.ts) also asks
-- `t.id in (select minqing.tile_building_ids(box))`, which finds the box's buildings through the
-- spatial index, and the planner fetches those rows by primary key and applies the policy to
-- them only, tens of times faster. Row-level security on public.buildings still decides every
-- row the tile carries; this function only narrows the candidates.
-- =============================================================================================

/**
 * The buildings in a box that the caller may read, by the same rule as the select policy on
 * public.buildings above: in a grid of the caller's street, or in no grid for the street
 * leader. Without request claims (the table owner, the nightly jobs, the bench's raw SQL) it is
 * every building in the box, as row-level security would not apply there either. Definer
 * rights because grids and communities are themselves under row-level security; only ids come
 * out, and only ids the caller could read anyway.
 */
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

comment on table public.audit_log is 'Append-only log of who changed which row, and who viewed whose personal data and why.';
comment on view public.household_records is 'Households the caller may know exist, personal fields masked outside their full scope.';
comment on view public.visit_records is 'Visits the caller may know exist, notes masked outside their full scope.';
comment on view public.issue_records is 'Issues the caller may know exist, reporter fields masked outside their full scope.';
comment on view public.issue_event_records is 'Issue events the caller may know exist, notes masked as the issue''s reporter fields are.';
comment on view public.audit_records is 'The audit log as the caller may read it: own community in full, the street masked for its leader.';
comment on function public.audit_log_is_append_only() is 'Trigger that refuses update, delete and truncate of the audit log.';
comment on function public.reveal_household(integer, text) is 'Shows a household''s name, phone and ID number to an allowed caller, logging the reason.';
comment on function public.record_personal_view(text, integer[], integer, text) is 'Logs a full-scope read of personal data that the API served.';

reset check_function_bodies;
