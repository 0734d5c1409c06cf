-- =============================================================================================
-- Issue handling: registration numbers, escalation and extension, typed events, live changes
-- (../shared/DOMAIN.md "Issues (民情民意事项) and their handling"; geo/domain/issue.transitions.ts
-- decides which transitions are allowed, this file records them).
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Registration number: year + month + 3-digit monthly sequence (001 民情民意收集登记表)
-- Assigned by the database, never by a client, so that it is unique and gap-free per month even
-- under concurrent registrations: an advisory lock per month serialises the numbering, and a
-- registration that rolls back frees its number with it. Month in China time.
-- ---------------------------------------------------------------------------------------------
create function public.issues_assign_reg_no() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  ym text := to_char((new.received_at at time zone 'UTC') + interval '8 hours', 'YYYYMM');
  seq integer;
begin
  if new.reg_no is not null then
    return new;
  end if;
  perform pg_advisory_xact_lock(hashtext('minqing.issue_reg_no'), ym::integer);
  -- Definer rights: the numbering counts every issue of the month, not only those the caller sees.
  select coalesce(max(right(reg_no, 3)::integer), 0) + 1 into seq from public.issues where reg_no like ym || '%';
  if seq > 999 then
    raise exception 'the registration numbers of % are used up (999 a month)', ym using errcode = 'numeric_value_out_of_range';
  end if;
  new.reg_no := ym || lpad(seq::text, 3, '0');
  return new;
end
$$;
create trigger issues_reg_no before insert on public.issues
  for each row execute function public.issues_assign_reg_no();

-- ---------------------------------------------------------------------------------------------
-- Escalation and extension
-- due_at stays the deadline in force (the overdue metric reads it); an extension keeps the first
-- deadline in original_due_at and its reason, which is told to the resident (001: 如需延期，说明原因).
-- ---------------------------------------------------------------------------------------------
alter table public.issues
  add column escalated_from public.issue_tier,
  add column original_due_at timestamptz,
  add column extension_reason text check (extension_reason is null or length(extension_reason) between 1 and 500),
  add column registered_by integer references public.staff (id) on delete set null;

-- The masked view gains the new columns (at its end, as CREATE OR REPLACE VIEW requires): the
-- extension and its reason are told to the resident, so they are not personal.
create or replace view public.issue_records with (security_barrier) as
with acc as materialized (select g.id as grid_id, minqing.grid_access(g.id) as access from public.grids g)
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

-- ---------------------------------------------------------------------------------------------
-- Typed events: what happened (the action), with its particulars (tiers, days, evaluation)
-- ---------------------------------------------------------------------------------------------
alter table public.issue_events
  add column kind text,
  add column details jsonb not null default '{}'::jsonb;

-- Backfill the events recorded before this column existed; the only rewrite the append-only
-- table ever gets, done here where the migration ledger records it.
alter table public.issue_events disable trigger issue_events_append_only;
update public.issue_events set kind = to_status::text where kind is null;
alter table public.issue_events enable trigger issue_events_append_only;

-- An insert without a kind (a plain status change, as the seed writes them) is named after its
-- new status.
create function public.issue_events_default_kind() returns trigger
language plpgsql
as $$
begin
  new.kind := coalesce(new.kind, new.to_status::text);
  return new;
end
$$;
create trigger issue_events_kind before insert on public.issue_events
  for each row execute function public.issue_events_default_kind();

alter table public.issue_events
  alter column kind set not null,
  add constraint issue_events_kind_known check (kind in (
    'registered', 'accepted', 'in_progress', 'resolved', 'closed', 'reopened', 'cancelled',
    'escalated', 'returned', 'extended'));

-- ---------------------------------------------------------------------------------------------
-- Events for those who read issues masked (the street leader): a note may name people, so it is
-- masked exactly when the issue's reporter fields are.
-- ---------------------------------------------------------------------------------------------
create view public.issue_event_records with (security_barrier) as
with acc as materialized (select g.id as grid_id, minqing.grid_access(g.id) as access from public.grids g)
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
-- Live changes
-- Committed changes to field work are announced on channel `minqing_changes` with the grid they
-- touch — never personal data — so every open map recolours. NOTIFY is transactional (sent at
-- commit, dropped on rollback) and folds identical payloads within a transaction, so a bulk load
-- sends one message per grid, not one per row. Works on PostgreSQL and the embedded PGlite alike.
-- ---------------------------------------------------------------------------------------------
create function minqing.announce_change() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  img jsonb := to_jsonb(coalesce(new, old));
  grid integer := case tg_table_name
    when 'visits' then minqing.grid_of_household((img ->> 'household_id')::integer)
    when 'issue_events' then (select grid_id from public.issues where id = (img ->> 'issue_id')::integer)
    else (img ->> 'grid_id')::integer
  end;
begin
  perform pg_notify('minqing_changes', json_build_object('table', tg_table_name, 'gridId', grid)::text);
  return null;
end
$$;

create trigger visits_announce after insert or update on public.visits
  for each row execute function minqing.announce_change();
create trigger issues_announce after insert or update on public.issues
  for each row execute function minqing.announce_change();
create trigger issue_events_announce after insert on public.issue_events
  for each row execute function minqing.announce_change();
create trigger patrols_announce after insert or update on public.patrols
  for each row execute function minqing.announce_change();

revoke execute on all functions in schema minqing from public;
grant execute on all functions in schema minqing to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Indicators (counts per grid; the API turns them into rates for a grid, community or street)
-- The cohort is the matters received in [from, to] (China dates), cancelled ones excluded:
--   办结率      closed by `to` ÷ registered
--   按期办结率  closed by their deadline in force (extensions included) ÷ closed
--   群众满意率  (satisfied + basically satisfied) ÷ rated, among the closed
-- Counts only, so every role of the street may read them, like the map's other aggregates.
-- ---------------------------------------------------------------------------------------------
create function public.issue_indicators(p_from date, p_to date)
returns table (grid_id integer, registered integer, closed integer, closed_on_time integer, rated integer, satisfied integer)
language sql stable security definer
set search_path = public, extensions
as $$
  select i.grid_id,
    count(*)::integer,
    count(*) filter (where c.closed)::integer,
    count(*) filter (where c.closed and i.closed_at <= i.due_at)::integer,
    count(*) filter (where c.closed and i.evaluation <> 'not_rated')::integer,
    count(*) filter (where c.closed and i.evaluation in ('satisfied', 'basically_satisfied'))::integer
  from public.issues i
  cross join lateral (select i.closed_at is not null and public.china_date(i.closed_at) <= p_to as closed) c
  where public.china_date(i.received_at) between p_from and p_to
    and i.status <> 'cancelled'
  group by i.grid_id
$$;

-- Pins for the map's issue layer: what, where, how urgent — no reporter, no description.
create function public.issue_pins(p_at timestamptz)
returns table (id integer, reg_no text, grid_id integer, category public.issue_category, tier public.issue_tier,
               status public.issue_status, received_at timestamptz, due_at timestamptz, stage text, lon double precision, lat double precision)
language sql stable security definer
set search_path = public, extensions
as $$
  select i.id, i.reg_no, i.grid_id, i.category, i.tier, i.status, i.received_at, i.due_at,
    case
      when i.status in ('closed', 'cancelled') or (i.closed_at is not null and i.closed_at <= p_at) then 'closed'
      when i.status = 'resolved' then 'resolved'
      when p_at > i.due_at then 'overdue'
      when p_at > i.received_at + (i.due_at - i.received_at) / 2 then 'past_half'
      else 'on_track'
    end,
    ST_X(i.location), ST_Y(i.location)
  from public.issues i
  where i.received_at <= p_at
    -- Only the street of the caller, for a signed-in caller; server tasks see all.
    and (nullif(current_setting('request.jwt.claims', true), '') is null
         or exists (select 1 from public.grids g join public.communities c on c.id = g.community_id
                    where g.id = i.grid_id and c.street_id = minqing.my_street_id()))
$$;

revoke execute on function public.issue_indicators(date, date), public.issue_pins(timestamptz) from public;
grant execute on function public.issue_indicators(date, date), public.issue_pins(timestamptz) to authenticated, service_role;
