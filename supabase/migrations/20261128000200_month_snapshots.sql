-- =============================================================================================
-- Month-end snapshots (issue #9): each closed month's grid figures, computed once
--
-- A past month's figures are the reference functions at its last day E: grid_stats(E) (the
-- map's figures, GET /api/stats/grids?asOf=E) and the month report's per-grid counts
-- (report_visit_timeliness, issue_indicators, report_patrol_days for [first day, E]). The month
-- report's 12-month trend recomputes twelve of them; on the embedded database that is most of a
-- minute. So the first read of a month end stores every grid's figures here, and later reads
-- (the next report, the PDF, the XLSX, the map's date picker) read rows.
--
-- Correctness first: a snapshot is DELETED, in the same transaction, by any write that could
-- change it. Every input has a date, and a change dated d can only move figures as of E >= d
-- (the definitions look at nothing after E). So statement-level triggers take, per statement,
-- the earliest date a change touches and delete the snapshots of every month end on or after
-- it: a visit dated in October removes October's and November's, never September's; the
-- visits, patrols and issue steps of today remove nothing, because no closed month ends after
-- today. What "the date of a change" is, table by table, is spelled out at each trigger below
-- and in docs/metrics.md ("Month-end snapshots").
--
-- Concurrency: a fill first takes stats_state FOR SHARE; every invalidating trigger first bumps
-- stats_state.version (FOR UPDATE). A write that committed before the fill took its lock is
-- seen by the fill's later statements (READ COMMITTED: each takes a fresh snapshot); a write
-- that comes after waits for the fill to commit, then its delete sees and removes the new rows.
-- Either way no snapshot survives a change it does not include.
--
-- Access: the figures are aggregates (no personal data), readable like grid stats by the staff
-- of the street the grid belongs to (row-level security below); only the SECURITY DEFINER fill
-- writes them, with the caller's claims cleared so that the street-scoped report functions it
-- calls fill every street's grids at once.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
create table public.grid_month_snapshots (
  month_end date not null,
  grid_id integer not null references public.grids (id) on delete cascade,
  -- false for a grid the report functions count (patrol days, matters) that did not exist at
  -- E (a grid a later split created): grid_stats(E) does not list it, so neither does the map.
  listed boolean not null,
  -- grid_stats(E)'s columns, in its order and names (null when not listed).
  households integer,
  covered_households integer,
  coverage double precision,
  overdue_households integer,
  at_risk_households integer,
  at_risk_overdue integer,
  open_issues integer,
  overdue_issues integer,
  days_since_last_visit integer,
  days_since_last_patrol integer,
  attention double precision,
  attention_breakdown jsonb,
  -- The month report's per-grid counts for [first day of the month, E] (0 when none).
  visits_due integer not null,
  visits_done integer not null,
  visits_on_time integer not null,
  issues_registered integer not null,
  issues_closed integer not null,
  issues_closed_on_time integer not null,
  issues_rated integer not null,
  issues_satisfied integer not null,
  patrol_days_met integer not null,
  patrol_days_judged integer not null,
  primary key (month_end, grid_id),
  constraint grid_month_snapshots_month_end check (extract(day from month_end + 1) = 1)
);
create index grid_month_snapshots_grid_idx on public.grid_month_snapshots (grid_id);

-- Which month ends are stored; a row here means every grid's row is there and current.
create table minqing.month_snapshot_state (
  month_end date primary key,
  built_at timestamptz not null default now(),
  -- stats_state.version when built, for the rebuild command's report.
  stats_version bigint not null
);
alter table minqing.month_snapshot_state enable row level security;
revoke all on minqing.month_snapshot_state from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Access
-- ---------------------------------------------------------------------------------------------
alter table public.grid_month_snapshots enable row level security;
revoke all on public.grid_month_snapshots from public, anon, authenticated;
grant select on public.grid_month_snapshots to authenticated;
grant all on public.grid_month_snapshots to service_role;

-- The street's month-end figures are the street's aggregates, like GET /api/stats/grids: every
-- staff record of the street may read them (docs/access.md "aggregates"), no one else, and no
-- caller writes them (no insert/update/delete grant, no policy: only the fill below writes).
create policy "Staff can read the month-end figures of their street's grids" on public.grid_month_snapshots
  for select to authenticated using (
    exists (select 1 from public.grids g join public.communities c on c.id = g.community_id
            where g.id = grid_month_snapshots.grid_id and c.street_id = (select minqing.my_street_id()))
  );

-- ---------------------------------------------------------------------------------------------
-- Fill
-- ---------------------------------------------------------------------------------------------
-- Computes and stores month end E if it is not stored; true when stored (the caller then reads
-- public.grid_month_snapshots as itself, under row-level security). Clearing the claims makes
-- minqing.report_grid_ids() answer every street's grids: a snapshot is shared by all streets.
create function public.month_snapshot_ready(p_month_end date) returns boolean
language plpgsql volatile security definer
set search_path = public, extensions
set request.jwt.claims = ''
as $$
declare
  f date := date_trunc('month', p_month_end)::date;
begin
  if p_month_end is null or extract(day from p_month_end + 1) <> 1 then
    raise exception 'month_snapshot_ready: % is not the last day of a month', p_month_end
      using errcode = '22023';
  end if;
  if exists (select 1 from minqing.month_snapshot_state where month_end = p_month_end) then return true; end if;
  -- One filler per month end; a second request waits and then finds it stored.
  perform pg_advisory_xact_lock(hashtext('minqing.month_snapshot'), (p_month_end - date '2000-01-01'));
  -- Writers that change figures bump this row: they finish before we read, or wait for us.
  perform 1 from minqing.stats_state for share;
  if exists (select 1 from minqing.month_snapshot_state where month_end = p_month_end) then return true; end if;

  delete from public.grid_month_snapshots where month_end = p_month_end;
  -- Each reference function once (materialized), joined on every grid any of them lists.
  insert into public.grid_month_snapshots
  with s as materialized (select * from public.grid_stats(p_month_end)),
  v as materialized (select * from public.report_visit_timeliness(f, p_month_end)),
  i as materialized (select * from public.issue_indicators(f, p_month_end)),
  p as materialized (select * from public.report_patrol_days(f, p_month_end, p_month_end)),
  k as (select grid_id from s union select grid_id from v union select grid_id from i union select grid_id from p)
  select p_month_end, k.grid_id, s.grid_id is not null,
    s.households, s.covered_households, s.coverage, s.overdue_households, s.at_risk_households,
    s.at_risk_overdue, s.open_issues, s.overdue_issues, s.days_since_last_visit, s.days_since_last_patrol,
    s.attention, s.attention_breakdown,
    coalesce(v.due, 0), coalesce(v.done, 0), coalesce(v.on_time, 0),
    coalesce(i.registered, 0), coalesce(i.closed, 0), coalesce(i.closed_on_time, 0), coalesce(i.rated, 0), coalesce(i.satisfied, 0),
    coalesce(p.days_met, 0), coalesce(p.days_judged, 0)
  from k
  left join s on s.grid_id = k.grid_id
  left join v on v.grid_id = k.grid_id
  left join i on i.grid_id = k.grid_id
  left join p on p.grid_id = k.grid_id
  where k.grid_id is not null;
  insert into minqing.month_snapshot_state (month_end, stats_version)
  select p_month_end, version from minqing.stats_state;
  return true;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Invalidation
-- ---------------------------------------------------------------------------------------------
-- Removes every month end on or after p_from. The version bump comes first: it is the lock a
-- concurrent fill waits on (see the header), and it changes the ETag of past-date stats.
create function minqing.month_snapshots_invalidate(p_from date) returns void
language plpgsql volatile security definer
set search_path = public, extensions
as $$
begin
  if p_from is null then return; end if;
  update minqing.stats_state set version = version + 1;
  with gone as (delete from minqing.month_snapshot_state where month_end >= p_from returning month_end)
  delete from public.grid_month_snapshots s where s.month_end >= p_from;
end
$$;

-- The earliest date each statement's changes touch, per table (null: nothing that any figure
-- reads changed). Dates are China dates, as in every definition. One function per table family
-- so that each rule sits next to its reason; plpgsql plans a branch's query on first use, so a
-- branch may name a transition table only its own event has.

-- Visits count on their date: any insert, edit or removal moves figures from that date on.
create function minqing.snapshots_on_visits() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(visited_at)) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(public.china_date(visited_at)) into d from old_rows;
  else
    select least(min(public.china_date(n.visited_at)), min(public.china_date(o.visited_at))) into d
    from new_rows n join old_rows o on o.id = n.id
    where (n.household_id, n.visited_at, n.method, n.result) is distinct from (o.household_id, o.visited_at, o.method, o.result);
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$$;

-- A household counts from moving in. Its building and categories are read as they are now for
-- every past date (the definition), so changing them moves figures from its move-in on; only a
-- changed move-out date moves them from the earlier of the old and new move-out. Edits of names,
-- phones and notes change nothing.
create function minqing.snapshots_on_households() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(moved_in) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(moved_in) into d from old_rows;
  else
    select min(case
        when (n.building_id, n.categories, n.moved_in) is distinct from (o.building_id, o.categories, o.moved_in)
          then least(n.moved_in, o.moved_in)
        when n.moved_out is distinct from o.moved_out
          then least(coalesce(n.moved_out, 'infinity'), coalesce(o.moved_out, 'infinity'))
      end) into d
    from new_rows n join old_rows o on o.id = n.id;
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$$;

-- A matter counts from its receipt: its grid, times, evaluation and whether it is cancelled
-- (issue_indicators leaves cancelled ones out whenever they were cancelled) move figures from
-- the received date; closing it moves them from the earlier close date. Handling steps (status
-- registered → assigned → in progress, tier, notes) move nothing.
create function minqing.snapshots_on_issues() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(received_at)) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(public.china_date(received_at)) into d from old_rows;
  else
    select min(case
        when (n.grid_id, n.received_at, n.due_at, n.evaluation, n.status = 'cancelled')
             is distinct from (o.grid_id, o.received_at, o.due_at, o.evaluation, o.status = 'cancelled')
          then least(public.china_date(n.received_at), public.china_date(o.received_at))
        when n.closed_at is distinct from o.closed_at
          then least(coalesce(public.china_date(n.closed_at), 'infinity'), coalesce(public.china_date(o.closed_at), 'infinity'))
      end) into d
    from new_rows n join old_rows o on o.id = n.id;
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$$;

-- Of a matter's events only a cancellation is read (open at D), from its date.
create function minqing.snapshots_on_issue_events() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(at)) into d from new_rows where to_status = 'cancelled';
  else select min(public.china_date(at)) into d from old_rows where to_status = 'cancelled';
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$$;

-- A patrol counts for the day it started.
create function minqing.snapshots_on_patrols() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(started_at)) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(public.china_date(started_at)) into d from old_rows;
  else
    select least(min(public.china_date(n.started_at)), min(public.china_date(o.started_at))) into d
    from new_rows n join old_rows o on o.id = n.id
    where (n.grid_id, n.started_at, n.ended_at) is distinct from (o.grid_id, o.started_at, o.ended_at);
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$$;

-- A policy version is in force from valid_from.
create function minqing.snapshots_on_policies() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(valid_from) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(valid_from) into d from old_rows;
  else
    select least(min(n.valid_from), min(o.valid_from)) into d
    from new_rows n join old_rows o on o.id = n.id
    where (n.community_id, n.street_id, n.valid_from, n.settings) is distinct from (o.community_id, o.street_id, o.valid_from, o.settings);
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$$;

-- Boundary history: a building's grid and a grid's existence over time. A row counts over
-- [valid_from, valid_to): a new or removed row from its start; a row whose grid changed from the
-- earlier start; a row only closed (a boundary commit closing the open row now) from the earlier
-- end, so committing a boundary today leaves closed months alone while a change stamped in
-- the past (or a row valid since -infinity, as an import writes) removes the months after it.
create function minqing.snapshots_on_boundary_history() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  d date;
begin
  if tg_op = 'INSERT' then select min(public.china_date(valid_from)) into d from new_rows;
  elsif tg_op = 'DELETE' then select min(public.china_date(valid_from)) into d from old_rows;
  elsif tg_table_name = 'building_grid_history' then
    -- Rows pair up by their key (building, valid_from); a row whose start itself moved does not
    -- pair, and counts from its start on both sides.
    select min(x) into d from (
      select case
          when n.grid_id is distinct from o.grid_id then public.china_date(n.valid_from)
          when n.valid_to is distinct from o.valid_to
            then public.china_date(least(coalesce(n.valid_to, 'infinity'), coalesce(o.valid_to, 'infinity')))
        end as x
      from new_rows n join old_rows o on o.building_id = n.building_id and o.valid_from = n.valid_from
      union all
      select public.china_date(n.valid_from) from new_rows n
      where not exists (select 1 from old_rows o where o.building_id = n.building_id and o.valid_from = n.valid_from)
      union all
      select public.china_date(o.valid_from) from old_rows o
      where not exists (select 1 from new_rows n where n.building_id = o.building_id and n.valid_from = o.valid_from)
    ) t;
  else
    select min(x) into d from (
      select case
          when (n.community_id, n.valid_from) is distinct from (o.community_id, o.valid_from)
            then public.china_date(least(n.valid_from, o.valid_from))
          when n.valid_to is distinct from o.valid_to
            then public.china_date(least(coalesce(n.valid_to, 'infinity'), coalesce(o.valid_to, 'infinity')))
        end as x
      from new_rows n join old_rows o on o.grid_id = n.grid_id and o.version = n.version
    ) t;
  end if;
  perform minqing.month_snapshots_invalidate(d);
  return null;
end
$$;

-- A grid's community decides the policy of every date, and a community's street which grids a
-- street reports: rare edits that move every month (-infinity). A new or removed grid arrives
-- with its grid_versions rows (above); grid names, boundaries and retirements are versioned there.
create function minqing.snapshots_on_places() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
begin
  -- Separate branches: a statement naming new_rows cannot even be planned in a DELETE trigger.
  if tg_table_name = 'grids' and tg_op = 'DELETE' then
    perform minqing.month_snapshots_invalidate('-infinity');
  elsif tg_table_name = 'grids' then
    if exists (select 1 from new_rows n join old_rows o on o.id = n.id where n.community_id <> o.community_id) then
      perform minqing.month_snapshots_invalidate('-infinity');
    end if;
  elsif exists (select 1 from new_rows n join old_rows o on o.id = n.id where n.street_id <> o.street_id) then
    perform minqing.month_snapshots_invalidate('-infinity');
  end if;
  return null;
end
$$;

do $$
declare
  t record;
begin
  for t in select * from (values
      ('visits', 'snapshots_on_visits', 'iud'), ('households', 'snapshots_on_households', 'iud'),
      ('issues', 'snapshots_on_issues', 'iud'), ('issue_events', 'snapshots_on_issue_events', 'id'),
      ('patrols', 'snapshots_on_patrols', 'iud'), ('visit_policies', 'snapshots_on_policies', 'iud'),
      ('building_grid_history', 'snapshots_on_boundary_history', 'iud'),
      ('grid_versions', 'snapshots_on_boundary_history', 'iud'),
      ('grids', 'snapshots_on_places', 'ud'), ('communities', 'snapshots_on_places', 'u')) as x(tab, fn, events)
  loop
    if strpos(t.events, 'i') > 0 then
      execute format('create trigger %I after insert on public.%I referencing new table as new_rows
        for each statement execute function minqing.%I()', t.tab || '_snapshots_ins', t.tab, t.fn);
    end if;
    if strpos(t.events, 'd') > 0 then
      execute format('create trigger %I after delete on public.%I referencing old table as old_rows
        for each statement execute function minqing.%I()', t.tab || '_snapshots_del', t.tab, t.fn);
    end if;
    if strpos(t.events, 'u') > 0 then
      execute format('create trigger %I after update on public.%I referencing old table as old_rows new table as new_rows
        for each statement execute function minqing.%I()', t.tab || '_snapshots_upd', t.tab, t.fn);
    end if;
  end loop;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Drift: every stored figure that differs from the reference functions at its month end
-- (npm run stats:rebuild prints these; tests compare after backdated changes).
-- ---------------------------------------------------------------------------------------------
create function minqing.month_snapshot_drift(p_month_end date)
returns table (grid_id integer, metric text, snapshot_value jsonb, reference_value jsonb)
language plpgsql volatile security definer
set search_path = public, extensions
set request.jwt.claims = ''
as $$
declare
  f date := date_trunc('month', p_month_end)::date;
begin
  return query
  with snap as (
    select s.grid_id as id, to_jsonb(s) - 'month_end' - 'grid_id' as j
    from public.grid_month_snapshots s where s.month_end = p_month_end
  ),
  gs as materialized (select * from public.grid_stats(p_month_end)),
  v as materialized (select * from public.report_visit_timeliness(f, p_month_end)),
  i as materialized (select * from public.issue_indicators(f, p_month_end)),
  p as materialized (select * from public.report_patrol_days(f, p_month_end, p_month_end)),
  k as (select x.grid_id from gs x union select x.grid_id from v x union select x.grid_id from i x union select x.grid_id from p x),
  ref as (
    select k.grid_id as id, jsonb_build_object('listed', gs.grid_id is not null) || coalesce(to_jsonb(gs) - 'grid_id', '{}') || jsonb_build_object(
      'visits_due', coalesce(v.due, 0), 'visits_done', coalesce(v.done, 0), 'visits_on_time', coalesce(v.on_time, 0),
      'issues_registered', coalesce(i.registered, 0), 'issues_closed', coalesce(i.closed, 0),
      'issues_closed_on_time', coalesce(i.closed_on_time, 0), 'issues_rated', coalesce(i.rated, 0),
      'issues_satisfied', coalesce(i.satisfied, 0), 'patrol_days_met', coalesce(p.days_met, 0),
      'patrol_days_judged', coalesce(p.days_judged, 0)) as j
    from k
    left join gs on gs.grid_id = k.grid_id
    left join v on v.grid_id = k.grid_id
    left join i on i.grid_id = k.grid_id
    left join p on p.grid_id = k.grid_id
    where k.grid_id is not null
  ),
  pairs as (select coalesce(snap.id, ref.id) as id, snap.j as s, ref.j as r from snap full join ref on ref.id = snap.id)
  -- The reference's keys: a grid not listed at E has no grid_stats figures to compare.
  select pr.id, m.key, pr.s -> m.key, pr.r -> m.key
  from pairs pr cross join lateral jsonb_object_keys(coalesce(pr.r, pr.s)) as m(key)
  where (pr.s -> m.key) is distinct from (pr.r -> m.key)
  order by 1, 2;
end
$$;

revoke execute on function public.month_snapshot_ready(date) from public, anon;
grant execute on function public.month_snapshot_ready(date) to authenticated, service_role;
revoke execute on function minqing.month_snapshots_invalidate(date), minqing.month_snapshot_drift(date),
  minqing.snapshots_on_visits(), minqing.snapshots_on_households(), minqing.snapshots_on_issues(),
  minqing.snapshots_on_issue_events(), minqing.snapshots_on_patrols(), minqing.snapshots_on_policies(),
  minqing.snapshots_on_boundary_history(), minqing.snapshots_on_places() from public, authenticated;
grant execute on function minqing.month_snapshot_drift(date) to service_role;
