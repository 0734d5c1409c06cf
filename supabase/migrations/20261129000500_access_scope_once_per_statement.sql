-- =============================================================================================
-- Access scope: decided once per statement, in time proportional to the caller's own grids
-- Found by the district benchmark (issue #9; 2,100 grids): a grid member's POST /api/visits took
-- over four minutes, so the bench's live-recolour step waited for a change event that could not
-- come before the request timed out. The cause was quadratic in the number of grids:
--   * the *_records views decide each grid's access with minqing.grid_access(g.id), for every
--     grid of the database, in a materialized CTE (meant as "one decision per grid");
--   * each grid_access call evaluates full_grid_ids() and visible_grid_ids(), each of which calls
--     scope_grid_ids(), which joined my_staff() to EVERY grid and tested staff_grids per grid.
-- So one lookup of one household cost grids × (several scans of all grids): ~125 ms per grid at
-- 2,100 grids, ~260 s for the statement (≈ 0.1 s at the street tier's 300 grids, unnoticed).
-- Same decisions, two changes:
--   1. scope_grid_ids() reads only the caller's own grids (their community's, or their
--      staff_grids rows), through the indexes on grids.community_id and the staff_grids key,
--      instead of testing every grid: the same set, in the same (sorted, distinct) array.
--   2. the four views evaluate full_grid_ids() and visible_grid_ids() once per statement and
--      compare each grid with the two arrays: exactly grid_access's rule (full if in the first
--      array, masked if in the second, else none), without calling it per grid.
-- Every policy that reads full_grid_ids() / visible_grid_ids() (visits, issues, patrols, ...)
-- gains from 1 as well. Views keep their columns, order and security_barrier; CREATE OR REPLACE
-- keeps their grants.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- 1. The caller's grids, from their own rows only
-- ---------------------------------------------------------------------------------------------
-- Community staff cover every grid of their community; grid leaders and members the grids their
-- staff_grids rows list (the foreign key guarantees each exists; the join to grids keeps the
-- former definition's "an existing grid" literally). Other roles have no scope of their own.
create or replace function minqing.scope_grid_ids() returns integer[]
language sql stable security definer
set search_path = public, extensions
as $$
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
  ) x
$$;

-- ---------------------------------------------------------------------------------------------
-- 2. The masked views: the access arrays once per statement
-- ---------------------------------------------------------------------------------------------
-- `ids` is one row (both functions always return an array), so `grids × ids` is one row per grid;
-- the CASE is minqing.grid_access's rule with its two arrays computed once.
create or replace view public.household_records with (security_barrier) as
with ids as materialized (select minqing.full_grid_ids() as f, minqing.visible_grid_ids() as v),
acc as materialized (
  select g.id as grid_id,
    case when g.id = any (ids.f) then 'full' when g.id = any (ids.v) then 'masked' else 'none' end as access
  from public.grids g cross join ids)
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
  select g.id as grid_id,
    case when g.id = any (ids.f) then 'full' when g.id = any (ids.v) then 'masked' else 'none' end as access
  from public.grids g cross join ids)
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
  select g.id as grid_id,
    case when g.id = any (ids.f) then 'full' when g.id = any (ids.v) then 'masked' else 'none' end as access
  from public.grids g cross join ids)
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
  select g.id as grid_id,
    case when g.id = any (ids.f) then 'full' when g.id = any (ids.v) then 'masked' else 'none' end as access
  from public.grids g cross join ids)
select e.id, e.issue_id, e.at, e.actor_id, public.staff_display_name(e.actor_id) as actor_name,
  e.kind, e.from_status, e.to_status, e.details,
  case when acc.access = 'full' then e.note else minqing.mask_text(e.note) end as note
from public.issue_events e
join public.issues i on i.id = e.issue_id
join acc on acc.grid_id = i.grid_id
where acc.access in ('full', 'masked');
