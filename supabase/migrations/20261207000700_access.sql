set check_function_bodies = off;

create function minqing.my_staff() returns table (
  staff_id integer, role public.staff_role, street_id integer, community_id integer
)
language sql stable security definer
set search_path = public, extensions
as $$
  select s.id, s.role, s.street_id, s.community_id from public.staff s
  where s.user_id = auth.uid() and s.active
$$;

create function minqing.my_street_id() returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select street_id from minqing.my_staff() $$;

-- True when personal fields must be masked whatever the role: the presenter, or any request
-- the API marked as a presentation.
create function minqing.presenting() returns boolean
language plpgsql stable security definer
set search_path = public, extensions
as $$
begin
  return coalesce((select role = 'presenter' from minqing.my_staff()), false)
      or coalesce((auth.jwt() ->> 'presentation')::boolean, false);
end
$$;

-- The grids whose people the caller may see in full (names, phones, notes) and those whose
-- rows it may know exist, masked. Scope is data: staff_grids lists a member's grids, community
-- staff cover every grid of their community, the street leader sees the street masked. As
-- arrays computed once per statement, so that policies on 50,000 visits do not call a function
-- per row.
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

create function minqing.full_grid_ids() returns integer[]
language plpgsql stable security definer
set search_path = public, extensions
as $$
begin
  return case when minqing.presenting() then '{}'::integer[] else minqing.scope_grid_ids() end;
end
$$;

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

-- The caller's access to one grid's people: 'full', 'masked' or 'none' (not even that the rows
-- exist).
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

-- Write scope: who may change a grid's households, visits, patrols and issues.
create function minqing.can_work_in_grid(p_grid_id integer) returns boolean
language sql stable security definer
set search_path = public, extensions
as $$
  select minqing.grid_access(p_grid_id) = 'full'
$$;

create function minqing.grid_of_building(p_building_id integer) returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select grid_id from public.buildings where id = p_building_id $$;

create function minqing.grid_of_household(p_household_id integer) returns integer
language sql stable security definer
set search_path = public, extensions
as $$
  select b.grid_id from public.households h join public.buildings b on b.id = h.building_id
  where h.id = p_household_id
$$;

-- Row sets for the read policies, computed once per statement (an uncorrelated IN is hashed).
create function minqing.scope_building_ids(p_full boolean) returns setof integer
language sql stable security definer
set search_path = public, extensions
as $$
  select b.id from public.buildings b
  where b.grid_id = any (case when p_full then minqing.full_grid_ids() else minqing.visible_grid_ids() end)
$$;

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

-- ID numbers: the birth date (digits 7–14) and most of the rest are what identify; keep only the
-- first and last character so a worker can still tell two records apart.
create function minqing.mask_id_number(v text) returns text
language sql immutable
as $$
  select case
    when v is null then null
    when char_length(v) <= 2 then repeat('*', char_length(v))
    else left(v, 1) || repeat('*', char_length(v) - 2) || right(v, 1)
  end
$$;

create function minqing.mask_text(v text) returns text
language sql immutable
as $$ select case when v is null then null else '***' end $$;

-- The personal keys of a row image in the audit log, masked the same way.
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

-- `(select …)` makes the planner evaluate the caller's street once per query, not per row.
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
-- ---------------------------------------------------------------------------------------------
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

-- The community a changed row belongs to, so community staff see their own community's log.
create function minqing.community_of_grid(p_grid_id integer) returns integer
language sql stable security definer
set search_path = public, extensions
as $$ select community_id from public.grids where id = p_grid_id $$;

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
reset check_function_bodies;
