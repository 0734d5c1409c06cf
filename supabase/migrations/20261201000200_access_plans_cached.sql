-- =============================================================================================
-- Access decisions: plans kept per connection, and no per-grid work for one row
-- Found by the district benchmark (issue #9: "a single visit POST p95 <= 20 ms"; 2,100 grids,
-- PostgreSQL), reading the POST's statements in the server log: a grid member's lookup of the one
-- household being visited took 3-4 ms and most of it was not the lookup.
--   * scope_grid_ids, full_grid_ids, visible_grid_ids and presenting are SQL functions with
--     SECURITY DEFINER and SET search_path, which PostgreSQL never inlines, and a non-inlined SQL
--     function plans its body again in every statement that calls it: 1-3 ms each, paid by every
--     row-level policy and masked view of every request. In plpgsql the plans are prepared once
--     per connection (the API's pool keeps its connections): 0.4 ms a call after the first.
--     Same queries, same results; signatures, rights and grants unchanged.
--   * the four *_records views gave every grid of the database an access decision
--     (`grids × ids`, 2,100 rows at a district) and joined it to the rows: 1.2 ms of a one-row
--     lookup. `acc` now lists the caller's own grids only, from the same two arrays, with the
--     same rule: full when in full_grid_ids, masked when only in visible_grid_ids, absent (no
--     row, so the join drops it) otherwise. Columns, order and security_barrier as before;
--     CREATE OR REPLACE keeps the grants.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- 1. The caller's scope, in plpgsql (20261126000100_access.sql, 20261129000500)
-- ---------------------------------------------------------------------------------------------
-- Community staff: every grid of their community; grid leaders and members: their staff_grids.
create or replace function minqing.scope_grid_ids() returns integer[]
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
-- Full access: the caller's scope, none while presenting.
create or replace function minqing.full_grid_ids() returns integer[]
language plpgsql stable security definer
set search_path = public, extensions
as $$
begin
  return case when minqing.presenting() then '{}'::integer[] else minqing.scope_grid_ids() end;
end
$$;
-- Rows the caller may know exist (masked): the street for its leader, else the scope; the
-- `union all … limit 1` answers '{}' to a caller who is no active staff.
create or replace function minqing.visible_grid_ids() returns integer[]
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
-- The presenter, or any request the API marked as a presentation.
create or replace function minqing.presenting() returns boolean
language plpgsql stable security definer
set search_path = public, extensions
as $$
begin
  return coalesce((select role = 'presenter' from minqing.my_staff()), false)
      or coalesce((auth.jwt() ->> 'presentation')::boolean, false);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- 2. The masked views: the caller's grids only
-- ---------------------------------------------------------------------------------------------
create or replace view public.household_records with (security_barrier) as
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

create or replace view public.visit_records with (security_barrier) as
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

create or replace view public.issue_records with (security_barrier) as
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

create or replace view public.issue_event_records with (security_barrier) as
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
