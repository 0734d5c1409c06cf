-- =============================================================================================
-- Statistics rollups (issue #9): the map's figures for today, kept current, read in milliseconds
--
-- grid_stats(as_of) / building_stats(as_of) (*_coverage_metrics.sql) stay the definition; they
-- aggregate every visit on every call. For the product's today the API reads these rollups
-- instead: one row per household (interval, last qualifying visit, due date, covered, overdue),
-- per building and per grid, holding the figures AT ONE DATE (minqing.stats_state.as_of).
--
-- Why a stored date rather than date-free rows: covered/overdue and the policy in force depend
-- on the as-of date, and a grid's counts cannot be derived from stored dates without touching
-- every household again. So the rollups are exact for `as_of`; the first stats read of a new
-- product day rebuilds them (minqing.stats_rebuild, once a day), and between day changes
-- statement-level triggers (transition tables, one recompute per statement, never per row)
-- recompute only the households, buildings and grids a statement touched.
--
-- Concurrency: every maintenance step first bumps stats_state.version, which row-locks it until
-- commit; each later statement of the (volatile) maintenance function takes a fresh snapshot
-- under READ COMMITTED, so two transactions that touch the same household cannot overwrite
-- each other's recompute with a stale one. Writes that change figures are thereby serialized
-- for the length of their transaction (documented in docs/metrics.md "Rollups").
--
-- Privacy: the tables live in the private `minqing` schema, are revoked from the API roles and
-- have RLS without policies; callers read grid and building aggregates only through the
-- SECURITY DEFINER functions at the end of this file, never a household row.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- State: the date the rollups hold, and the version every change bumps (ETag, live events)
-- ---------------------------------------------------------------------------------------------
create table minqing.stats_state (
  singleton boolean primary key default true check (singleton),
  -- null until the first read builds them: seeding and migrations pay nothing.
  as_of date,
  version bigint not null default 1,
  built_at timestamptz
);
insert into minqing.stats_state default values;

create table minqing.household_rollup (
  household_id integer primary key,
  building_id integer not null,
  grid_id integer,
  required_interval integer,
  last_visit date,
  covered boolean not null,
  due_date date,
  overdue boolean not null,
  at_risk boolean not null
);
create index household_rollup_building_idx on minqing.household_rollup (building_id);
create index household_rollup_grid_idx on minqing.household_rollup (grid_id);

-- Column names and order are grid_stats()'s, so drift checks compare like with like.
create table minqing.grid_rollup (
  grid_id integer primary key,
  households integer not null,
  covered_households integer not null,
  coverage double precision,
  overdue_households integer not null,
  at_risk_households integer not null,
  at_risk_overdue integer not null,
  open_issues integer not null,
  overdue_issues integer not null,
  days_since_last_visit integer,
  days_since_last_patrol integer,
  attention double precision,
  attention_breakdown jsonb
);

create table minqing.building_rollup (
  building_id integer primary key,
  grid_id integer,
  households integer not null,
  covered_households integer not null,
  coverage double precision,
  overdue_households integer not null,
  at_risk_households integer not null,
  at_risk_overdue integer not null,
  open_issues integer not null,
  overdue_issues integer not null,
  days_since_last_visit integer,
  days_since_last_patrol integer,
  attention double precision,
  attention_breakdown jsonb
);
create index building_rollup_grid_idx on minqing.building_rollup (grid_id);

-- A building's issue counts are recomputed by building; without this, by a scan of every issue.
create index issues_building_id_idx on public.issues (building_id) where building_id is not null;

-- Per-household rows would tell who is overdue: no API role reads these tables directly.
alter table minqing.stats_state enable row level security;
alter table minqing.household_rollup enable row level security;
alter table minqing.grid_rollup enable row level security;
alter table minqing.building_rollup enable row level security;
revoke all on minqing.stats_state, minqing.household_rollup, minqing.grid_rollup, minqing.building_rollup
  from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Keyed recomputation: the reference definitions, restricted to a set of ids (null = all)
-- Like grid_stats(), a building's grid and the grids that exist come from the boundary history
-- (building_grid_history, grid_versions) at the end of the China day: the same as the current
-- rows on a real clock, but not on a demo day pinned in the past, nor for a grid a merge retired.
-- These repeat household_visit_status / issue_status_at / grid_days_since_patrol with a filter
-- pushed down to the indexes; minqing.stats_drift proves they still agree with grid_stats().
-- No `set search_path` (every name is qualified) and invoker rights: only such SQL functions are
-- inlined into the calling query, and only inlined, with the ids known (EXECUTE … USING in the
-- callers, a plan per call), does `ids is null or x = any(ids)` become an index lookup for one
-- visit's household instead of a scan of every visit.
-- ---------------------------------------------------------------------------------------------
create function minqing.household_status_of(as_of date, ids integer[])
returns setof minqing.household_rollup
language sql stable
as $$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    where ids is null or c.id in (
      select g.community_id from public.households h
      join public.building_grid_history bgh on bgh.building_id = h.building_id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
      join public.grids g on g.id = bgh.grid_id
      where h.id = any(ids))
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  hh as (
    select h.id, h.building_id, bgh.grid_id, h.moved_in, pol.s,
      (select min((pol.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(pol.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    left join public.building_grid_history bgh on bgh.building_id = h.building_id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
    left join public.grids g on g.id = bgh.grid_id
    join pol on pol.community_id is not distinct from g.community_id
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
      and (ids is null or h.id = any(ids))
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    where public.china_date(v.visited_at) <= as_of
      and v.method::text in (select jsonb_array_elements_text(hh.s -> 'countedMethods'))
      and (v.result = 'met' or (hh.s ->> 'notHomeCounts')::boolean)
    group by v.household_id
  )
  select hh.id, hh.building_id, hh.grid_id, hh.required_interval, lv.last_visit,
    coalesce(lv.last_visit > as_of - hh.required_interval, false),
    coalesce(lv.last_visit, hh.moved_in) + hh.required_interval,
    not coalesce(lv.last_visit > as_of - hh.required_interval, false)
      and coalesce(lv.last_visit, hh.moved_in) + hh.required_interval < as_of,
    hh.at_risk
  from hh left join lv on lv.household_id = hh.id
$$;

-- Open/overdue issues per grid or per building (by = 'grid' | 'building').
create function minqing.issue_counts_of(as_of date, by text, ids integer[])
returns table (id integer, open integer, overdue integer)
language sql stable
as $$
  select k.id, count(*) filter (where o.open)::int, count(*) filter (where o.open and public.china_date(i.due_at) < as_of)::int
  from public.issues i
  cross join lateral (select case by when 'grid' then i.grid_id else i.building_id end as id) k
  cross join lateral (
    select public.china_date(i.received_at) <= as_of
      and (i.closed_at is null or public.china_date(i.closed_at) > as_of)
      and not exists (
        select 1 from public.issue_events e
        where e.issue_id = i.id and e.to_status = 'cancelled' and public.china_date(e.at) <= as_of
      ) as open
  ) o
  where k.id is not null
    and (ids is null or (by = 'grid' and i.grid_id = any(ids)) or (by = 'building' and i.building_id = any(ids)))
  group by k.id
$$;

-- The policy's minutes are looked up once per grid (materialized), not once per patrol day as
-- the reference's lateral join does: same result, a hundred times fewer policy lookups.
create function minqing.patrol_days_of(as_of date, ids integer[])
returns table (grid_id integer, days integer)
language sql stable
as $$
  with g as materialized (
    select g.id, (public.policy_settings_at(g.community_id, as_of) ->> 'patrolMinMinutes')::int as min_minutes
    from public.grids g where ids is null or g.id = any(ids)
  ),
  d as (
    select pt.grid_id, public.china_date(pt.started_at) as day, sum(pt.ended_at - pt.started_at) as walked
    from public.patrols pt
    where pt.ended_at is not null and public.china_date(pt.started_at) <= as_of
      and (ids is null or pt.grid_id = any(ids))
    group by pt.grid_id, public.china_date(pt.started_at)
  )
  select d.grid_id, as_of - max(d.day)
  from d join g on g.id = d.grid_id
  where d.walked >= make_interval(mins => g.min_minutes)
  group by d.grid_id
$$;

-- Grid rows from the household rollup (which must already be current for these grids).
create function minqing.grid_rows_of(as_of date, ids integer[])
returns setof minqing.grid_rollup
language sql stable
as $$
  with g as (
    select g.id, public.policy_settings_at(g.community_id, as_of) as s from public.grids g
    where (ids is null or g.id = any(ids))
      and exists (select 1 from public.grid_versions v where v.grid_id = g.id
                  and v.valid_from < public.china_day_end(as_of)
                  and (v.valid_to is null or v.valid_to >= public.china_day_end(as_of)))
  ),
  h as (
    select hr.grid_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from minqing.household_rollup hr
    where hr.grid_id is not null and (ids is null or hr.grid_id = any(ids))
    group by hr.grid_id
  ),
  i as (select * from minqing.issue_counts_of(as_of, 'grid', ids)),
  p as (select * from minqing.patrol_days_of(as_of, ids)),
  r as (
    select g.id, g.s, coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, p.days as days_patrol
    from g left join h on h.grid_id = g.id left join i on i.id = g.id left join p on p.grid_id = g.id
  )
  select r.id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
$$;

-- Building rows from the household rollup and the grid rollup (its patrol days), both current.
create function minqing.building_rows_of(as_of date, ids integer[])
returns setof minqing.building_rollup
language sql stable
as $$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    where ids is null or c.id in (
      select g.community_id from public.building_grid_history bgh join public.grids g on g.id = bgh.grid_id
      where bgh.building_id = any(ids) and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of)))
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  h as (
    select hr.building_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from minqing.household_rollup hr
    where ids is null or hr.building_id = any(ids)
    group by hr.building_id
  ),
  i as (select * from minqing.issue_counts_of(as_of, 'building', ids)),
  r as (
    select b.id, bgh.grid_id, pol.s,
      coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, gr.days_since_last_patrol as days_patrol
    from public.buildings b
    left join public.building_grid_history bgh on bgh.building_id = b.id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
    left join public.grids g on g.id = bgh.grid_id
    join pol on pol.community_id is not distinct from g.community_id
    left join h on h.building_id = b.id left join i on i.id = b.id
    left join minqing.grid_rollup gr on gr.grid_id = bgh.grid_id
    where ids is null or b.id = any(ids)
  )
  select r.id, r.grid_id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
$$;

-- ---------------------------------------------------------------------------------------------
-- Rebuild and incremental apply
-- ---------------------------------------------------------------------------------------------
create function minqing.stats_rebuild(p_as_of date) returns bigint
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  v bigint;
begin
  update minqing.stats_state set version = version + 1 returning version into v;  -- the lock
  delete from minqing.building_rollup;
  delete from minqing.grid_rollup;
  delete from minqing.household_rollup;
  insert into minqing.household_rollup select * from minqing.household_status_of(p_as_of, null);
  insert into minqing.grid_rollup select * from minqing.grid_rows_of(p_as_of, null);
  insert into minqing.building_rollup select * from minqing.building_rows_of(p_as_of, null);
  update minqing.stats_state set as_of = p_as_of, built_at = now();
  return v;
end
$$;

-- p_households: recompute these households (and the buildings and grids they were and are in);
-- p_buildings: recompute these buildings' rows; p_grids: recompute these grids' rows and every
-- building row in them (a building row carries its grid's patrol days and policy).
create function minqing.stats_apply(p_households integer[], p_buildings integer[], p_grids integer[])
returns void
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  d date;
  hh integer[] := coalesce(p_households, '{}');
  bb integer[] := coalesce(p_buildings, '{}');
  gg integer[] := array(select x from unnest(coalesce(p_grids, '{}')) x where x is not null);
begin
  if cardinality(hh) = 0 and cardinality(bb) = 0 and cardinality(gg) = 0 then return; end if;
  update minqing.stats_state set version = version + 1 returning as_of into d;
  if d is null then return; end if;  -- never built: the first read builds from scratch

  bb := bb || array(select building_id from minqing.household_rollup where household_id = any(hh))
           || array(select id from public.buildings where grid_id = any(gg));
  gg := gg || array(select grid_id from minqing.household_rollup where household_id = any(hh) and grid_id is not null);
  delete from minqing.household_rollup where household_id = any(hh);
  execute 'insert into minqing.household_rollup select * from minqing.household_status_of($1, $2)' using d, hh;
  bb := bb || array(select building_id from minqing.household_rollup where household_id = any(hh));
  gg := gg || array(select grid_id from minqing.household_rollup where household_id = any(hh) and grid_id is not null)
           || array(select grid_id from minqing.building_rollup where building_id = any(bb) and grid_id is not null)
           || array(select grid_id from public.buildings where id = any(bb) and grid_id is not null);
  bb := array(select distinct x from unnest(bb) x where x is not null);
  gg := array(select distinct x from unnest(gg) x);

  delete from minqing.grid_rollup where grid_id = any(gg);
  execute 'insert into minqing.grid_rollup select * from minqing.grid_rows_of($1, $2)' using d, gg;
  delete from minqing.building_rollup where building_id = any(bb);
  execute 'insert into minqing.building_rollup select * from minqing.building_rows_of($1, $2)' using d, bb;
end
$$;

create function minqing.stats_unbuilt() returns boolean
language plpgsql volatile security definer
set search_path = public, extensions
as $$
begin
  update minqing.stats_state set version = version + 1 where as_of is null;
  return found;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Statement-level triggers: one recompute per statement, whatever its row count
-- Transition tables are always named new_rows / old_rows; a trigger with transition tables
-- may have only one event, hence three triggers per table on one function each.
-- ---------------------------------------------------------------------------------------------
create function minqing.stats_on_visits() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  hh integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  -- plpgsql plans a statement on first execution, so a branch may name a transition table
  -- that only its own event has.
  if tg_op = 'INSERT' then hh := array(select household_id from new_rows);
  elsif tg_op = 'UPDATE' then hh := array(select household_id from new_rows union select household_id from old_rows);
  else hh := array(select household_id from old_rows);
  end if;
  perform minqing.stats_apply(hh, null, null);
  return null;
end
$$;

-- A moved household leaves its old building: stats_apply reads the old placement from the rollup.
create function minqing.stats_on_households() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  hh integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then hh := array(select id from new_rows);
  elsif tg_op = 'UPDATE' then hh := array(select id from new_rows union select id from old_rows);
  else hh := array(select id from old_rows);
  end if;
  perform minqing.stats_apply(hh, null, null);
  return null;
end
$$;

-- A boundary commit moves buildings between grids in bulk (UPDATE buildings SET grid_id): the
-- households of the moved buildings change grid (and maybe community, hence policy); the old
-- and new grids follow from the rollup's old rows and the table's new ones.
create function minqing.stats_on_buildings() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  bb integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then bb := array(select id from new_rows);
  elsif tg_op = 'UPDATE' then
    bb := array(select n.id from new_rows n join old_rows o on o.id = n.id where n.grid_id is distinct from o.grid_id);
  else bb := array(select id from old_rows);
  end if;
  perform minqing.stats_apply(array(select h.id from public.households h where h.building_id = any(bb)), bb, null);
  return null;
end
$$;

-- A new grid gets its row; a grid moved to another community changes its households' policy.
create function minqing.stats_on_grids() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  gg integer[];
  moved integer[] := '{}';
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then gg := array(select id from new_rows);
  elsif tg_op = 'UPDATE' then
    gg := array(select id from new_rows);
    moved := array(select n.id from new_rows n join old_rows o on o.id = n.id where n.community_id <> o.community_id);
  else gg := array(select id from old_rows);
  end if;
  perform minqing.stats_apply(
    array(select h.id from public.households h join public.buildings b on b.id = h.building_id where b.grid_id = any(moved)),
    null, gg);
  return null;
end
$$;

create function minqing.stats_on_issues() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  gg integer[];
  bb integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then
    gg := array(select grid_id from new_rows); bb := array(select building_id from new_rows where building_id is not null);
  elsif tg_op = 'UPDATE' then
    gg := array(select grid_id from new_rows union select grid_id from old_rows);
    bb := array(select building_id from new_rows where building_id is not null
                union select building_id from old_rows where building_id is not null);
  else
    gg := array(select grid_id from old_rows); bb := array(select building_id from old_rows where building_id is not null);
  end if;
  -- Only the issue counts changed: grid rows and the issues' buildings, not every building of
  -- the grid (p_grids would recompute those), so the grids go in as derived from buildings.
  perform minqing.stats_apply(null, bb, null);
  perform minqing.stats_refresh_grids(gg);
  return null;
end
$$;

create function minqing.stats_on_issue_events() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  ev integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then ev := array(select issue_id from new_rows);
  else ev := array(select issue_id from old_rows);
  end if;
  perform minqing.stats_apply(null,
    array(select i.building_id from public.issues i where i.id = any(ev) and i.building_id is not null), null);
  perform minqing.stats_refresh_grids(array(select i.grid_id from public.issues i where i.id = any(ev)));
  return null;
end
$$;

create function minqing.stats_on_patrols() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  gg integer[];
begin
  -- Until the first read builds the rollups (seeding, bulk loads) a change only bumps the version.
  if minqing.stats_unbuilt() then return null; end if;
  if tg_op = 'INSERT' then gg := array(select grid_id from new_rows);
  elsif tg_op = 'UPDATE' then gg := array(select grid_id from new_rows union select grid_id from old_rows);
  else gg := array(select grid_id from old_rows);
  end if;
  perform minqing.stats_apply(null, null, gg);
  return null;
end
$$;

-- A policy changes intervals, counted methods and weights for a whole community or street:
-- rare, so the rollups are rebuilt at their date. So is a community moved to another street.
create function minqing.stats_on_policies() returns trigger
language plpgsql security definer
set search_path = public, extensions
as $$
declare
  d date;
begin
  if tg_table_name = 'communities' then
    if not exists (select 1 from new_rows n join old_rows o on o.id = n.id where n.street_id <> o.street_id) then
      return null;
    end if;
  end if;
  select as_of into d from minqing.stats_state;
  if d is null then
    update minqing.stats_state set version = version + 1;
  else
    perform minqing.stats_rebuild(d);
  end if;
  return null;
end
$$;

-- Grid rows only (issue counts changed; households and buildings did not).
create function minqing.stats_refresh_grids(p_grids integer[]) returns void
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  d date;
  gg integer[] := array(select distinct x from unnest(coalesce(p_grids, '{}')) x where x is not null);
begin
  if cardinality(gg) = 0 then return; end if;
  update minqing.stats_state set version = version + 1 returning as_of into d;
  if d is null then return; end if;
  delete from minqing.grid_rollup where grid_id = any(gg);
  execute 'insert into minqing.grid_rollup select * from minqing.grid_rows_of($1, $2)' using d, gg;
end
$$;

do $$
declare
  t record;
begin
  for t in select * from (values
      ('visits', 'stats_on_visits', true), ('households', 'stats_on_households', true),
      ('buildings', 'stats_on_buildings', true), ('grids', 'stats_on_grids', true),
      ('issues', 'stats_on_issues', true), ('issue_events', 'stats_on_issue_events', false),
      ('patrols', 'stats_on_patrols', true), ('visit_policies', 'stats_on_policies', true),
      ('communities', 'stats_on_policies', false)) as x(tab, fn, all_events)
  loop
    if t.tab <> 'communities' then
      execute format('create trigger %I after insert on public.%I referencing new table as new_rows
        for each statement execute function minqing.%I()', t.tab || '_stats_ins', t.tab, t.fn);
      execute format('create trigger %I after delete on public.%I referencing old table as old_rows
        for each statement execute function minqing.%I()', t.tab || '_stats_del', t.tab, t.fn);
    end if;
    -- issue_events are append-only: no update trigger.
    if t.tab <> 'issue_events' then
      execute format('create trigger %I after update on public.%I referencing old table as old_rows new table as new_rows
        for each statement execute function minqing.%I()', t.tab || '_stats_upd', t.tab, t.fn);
    end if;
  end loop;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Reading (SECURITY DEFINER, aggregates only)
-- ---------------------------------------------------------------------------------------------
-- The version for caching (ETag) and live events, after making sure the rollups hold p_as_of:
-- the first read of a new product day rebuilds them (the product's today comes from the API's
-- configuration, so only a caller can say that the day changed).
create function public.stats_rollup_ready(p_as_of date) returns bigint
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  st minqing.stats_state;
begin
  select * into st from minqing.stats_state;
  if st.as_of is distinct from p_as_of then
    perform pg_advisory_xact_lock(hashtext('minqing.stats_rebuild'));
    select * into st from minqing.stats_state;  -- another request may have rebuilt meanwhile
    if st.as_of is distinct from p_as_of then perform minqing.stats_rebuild(p_as_of); end if;
    select * into st from minqing.stats_state;
  end if;
  return st.version;
end
$$;

-- The current version without building anything (past dates, live events).
create function public.stats_version() returns bigint
language sql stable security definer
set search_path = public, extensions
as $$ select version from minqing.stats_state $$;

create function public.grid_stats_rollup()
returns setof minqing.grid_rollup
language sql stable security definer
set search_path = public, extensions
as $$ select * from minqing.grid_rollup order by grid_id $$;

create function public.building_stats_rollup()
returns setof minqing.building_rollup
language sql stable security definer
set search_path = public, extensions
as $$ select * from minqing.building_rollup order by building_id $$;

-- ---------------------------------------------------------------------------------------------
-- Drift: every grid and building figure that differs from grid_stats / building_stats at the
-- rollups' date (stats:rebuild prints these; a test corrupts a row and expects it reported).
-- ---------------------------------------------------------------------------------------------
create function minqing.stats_drift()
returns table (kind text, id integer, metric text, rollup_value jsonb, reference_value jsonb)
language sql stable security definer
set search_path = public, extensions
as $$
  with st as (select as_of from minqing.stats_state),
  rg as (select x.grid_id as id, to_jsonb(x) - 'grid_id' as j from minqing.grid_rollup x),
  fg as (select s.grid_id as id, to_jsonb(s) - 'grid_id' as j from st, public.grid_stats(st.as_of) s),
  rb as (select x.building_id as id, to_jsonb(x) - 'building_id' as j from minqing.building_rollup x),
  fb as (select s.building_id as id, to_jsonb(s) - 'building_id' as j from st, public.building_stats(st.as_of) s),
  pairs as (
    select 'grid' as kind, coalesce(rg.id, fg.id) as id, rg.j as r, fg.j as f from rg full join fg on fg.id = rg.id
    union all
    select 'building', coalesce(rb.id, fb.id), rb.j, fb.j from rb full join fb on fb.id = rb.id
  )
  select p.kind, p.id, k.key, p.r -> k.key, p.f -> k.key
  from pairs p
  cross join lateral jsonb_object_keys(coalesce(p.f, p.r)) as k(key)
  where (p.r -> k.key) is distinct from (p.f -> k.key)
  order by 1, 2, 3
$$;

-- The maintenance functions run only from the triggers and the definer functions above.
revoke execute on all functions in schema minqing from public;
grant execute on function minqing.stats_rebuild(date), minqing.stats_drift() to service_role;
revoke execute on function public.stats_rollup_ready(date), public.stats_version(),
  public.grid_stats_rollup(), public.building_stats_rollup() from public;
grant execute on function public.stats_rollup_ready(date), public.stats_version(),
  public.grid_stats_rollup(), public.building_stats_rollup() to authenticated, service_role;
