-- =============================================================================================
-- Metrics: the figures the map, the grid panel and the reports show, and what keeps them fast
--
-- In order:
--   - the visit policy in force (policy_settings_at) and the reference definitions: each
--     household's visit status, issues open and overdue, patrol days, the attention score,
--     and their per-grid and per-building aggregates grid_stats(D) and building_stats(D);
--   - the mop-up list of a grid's overdue households, and the per-building workload the
--     boundary editor's preview reads;
--   - the statistics rollups: the same figures for the product's today, stored in the private
--     minqing schema and kept current by statement-level triggers;
--   - month-end snapshots: each closed month's per-grid figures, stored on first read and
--     deleted by any write that could change them;
--   - one grid's figures (household ids, counts, 按期走访率) for the grid panel.
-- docs/metrics.md defines every figure in words. Elsewhere: the visit_policies table is in
-- *_field_work.sql and who may read it in *_access.sql; the boundary history read here is in
-- *_boundaries.sql; the month report's functions are in *_meetings.sql and issue_indicators in
-- *_issues.sql.
-- =============================================================================================
set check_function_bodies = off;

-- ---------------------------------------------------------------------------------------------
-- The visit policy in force
-- ---------------------------------------------------------------------------------------------

/**
 * The policy used when a street has no policy row at all. Equal to DEFAULT_POLICY in
 * geo/domain/visit-policy.ts; tests/db/metrics-sql.test.ts keeps the two equal.
 */
create function public.default_policy_settings() returns jsonb
language sql immutable
as $$
  select '{"intervals":{"ordinary":182,"elderly":30,"empty_nest":15,"lonely_elderly":15,"low_income":15,"disabled":15,"seriously_ill":7,"difficult":30,"floating":30,"rental":30,"community_correction":30,"key_person":7,"petitioner":90,"unemployed":30,"military_family":90,"business":45},"atRisk":["empty_nest","lonely_elderly","low_income","disabled","seriously_ill","difficult","community_correction","key_person"],"countedMethods":["in_person","phone","video"],"notHomeCounts":false,"issueDueDays":{"ordinary":7,"complex":15,"major":30},"attention":{"weights":{"coverageGap":0.4,"atRiskOverdue":0.3,"overdueIssues":0.15,"patrolGap":0.15},"overdueIssuesPer100Cap":2,"patrolGapDaysCap":14},"patrolMinMinutes":30,"gridHouseholds":{"min":200,"max":300},"visitGeofenceM":50}'::jsonb
$$;

/**
 * The policy in force for a community at a date: its own latest row, else the street-wide one,
 * else the default. A null community (a building outside every grid) gets the street-wide row.
 */
create function public.policy_settings_at(p_community_id integer, as_of date) returns jsonb
language sql stable security definer
set search_path = public, extensions
as $$
  select coalesce(
    (select vp.settings from public.visit_policies vp
      where p_community_id is not null and vp.community_id = p_community_id and vp.valid_from <= as_of
      order by vp.valid_from desc limit 1),
    (select vp.settings from public.visit_policies vp
      where vp.community_id is null and vp.valid_from <= as_of
        and (p_community_id is null
             or vp.street_id = (select c.street_id from public.communities c where c.id = p_community_id))
      order by vp.valid_from desc limit 1),
    public.default_policy_settings()
  )
$$;

-- ---------------------------------------------------------------------------------------------
-- The reference definitions: every figure from the raw rows, at any date D
-- Per household (private): scope, interval, last qualifying visit, covered, due, overdue, risk
-- ---------------------------------------------------------------------------------------------

/**
 * Every household living somewhere at D: its building and its grid at D, the interval its
 * strictest category requires, its last visit that counts under its community's policy, and
 * whether it is covered (visited within the interval), its due date (last visit or move-in plus
 * the interval), overdue (not covered and past due) and at risk. Names households, so only
 * service_role and the definer functions of this file may call it.
 */
create function public.household_visit_status(as_of date)
returns table (
  household_id integer, building_id integer, grid_id integer, required_interval integer,
  last_visit date, covered boolean, due_date date, overdue boolean, at_risk boolean
)
language sql stable security definer
set search_path = public, extensions
as $$
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    union all
    select null, public.policy_settings_at(null, as_of)
  ),
  -- What counts, once per community (0: buildings in no grid), in plain columns for the visits.
  rule as (
    select coalesce(community_id, 0) as k, s,
      array(select jsonb_array_elements_text(s -> 'countedMethods')) as methods,
      (s ->> 'notHomeCounts')::boolean as not_home
    from pol
  ),
  hh as (
    select h.id, h.building_id, bg.grid_id, h.moved_in, rule.k,
      (select min((rule.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(rule.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    left join public.building_grids_at(as_of) bg on bg.building_id = h.building_id
    left join public.grids g on g.id = bg.grid_id
    join rule on rule.k = coalesce(g.community_id, 0)
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    join rule on rule.k = hh.k
    where public.china_date(v.visited_at) <= as_of
      and v.method::text = any (rule.methods)
      and (v.result = 'met' or rule.not_home)
    group by v.household_id
  )
  select hh.id, hh.building_id, hh.grid_id, hh.required_interval, lv.last_visit,
    coalesce(lv.last_visit > as_of - hh.required_interval, false) as covered,
    coalesce(lv.last_visit, hh.moved_in) + hh.required_interval as due_date,
    not coalesce(lv.last_visit > as_of - hh.required_interval, false)
      and coalesce(lv.last_visit, hh.moved_in) + hh.required_interval < as_of as overdue,
    hh.at_risk
  from hh left join lv on lv.household_id = hh.id
$$;

revoke execute on function public.household_visit_status(date) from public;

grant execute on function public.household_visit_status(date) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Issues open / overdue at a date
-- ---------------------------------------------------------------------------------------------

/**
 * Every issue with its grid and building, open at D (received by D, neither closed nor
 * cancelled by D) and overdue (open, and its due date before D).
 */
create function public.issue_status_at(as_of date)
returns table (issue_id integer, grid_id integer, building_id integer, open boolean, overdue boolean)
language sql stable security definer
set search_path = public, extensions
as $$
  select i.id, i.grid_id, i.building_id, o.open, o.open and public.china_date(i.due_at) < as_of
  from public.issues i
  cross join lateral (
    select public.china_date(i.received_at) <= as_of
      and (i.closed_at is null or public.china_date(i.closed_at) > as_of)
      and not exists (
        select 1 from public.issue_events e
        where e.issue_id = i.id and e.to_status = 'cancelled' and public.china_date(e.at) <= as_of
      ) as open
  ) o
$$;

revoke execute on function public.issue_status_at(date) from public;

grant execute on function public.issue_status_at(date) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Attention: the documented weighted sum (docs/metrics.md), with its breakdown in points
-- ---------------------------------------------------------------------------------------------

/**
 * The attention score of a grid or building from its counts under policy s: the coverage gap,
 * the overdue share of at-risk households, overdue issues per 100 households (capped) and the
 * days since its last counting patrol (capped; no patrol at all counts as the cap), each times
 * its weight × 100. Returns {total, coverageGap, atRiskOverdue, overdueIssues, patrolGap} in
 * points rounded to one decimal.
 */
create function public.attention_points(
  s jsonb, households integer, covered integer, at_risk integer, at_risk_overdue integer,
  overdue_issues integer, days_since_last_patrol integer
) returns jsonb
language plpgsql immutable
as $$
declare
  coverage_gap float8 := (s #>> '{attention,weights,coverageGap}')::float8 * 100
    * case when households > 0 then 1 - covered::float8 / households else 0 end;
  risk float8 := (s #>> '{attention,weights,atRiskOverdue}')::float8 * 100
    * case when at_risk > 0 then at_risk_overdue::float8 / at_risk else 0 end;
  issues float8 := (s #>> '{attention,weights,overdueIssues}')::float8 * 100
    * case when households > 0
           then least(1, (overdue_issues * 100.0 / households) / (s #>> '{attention,overdueIssuesPer100Cap}')::float8)
           else 0 end;
  patrol float8 := (s #>> '{attention,weights,patrolGap}')::float8 * 100
    * case when days_since_last_patrol is null then 1
           else least(1, days_since_last_patrol::float8 / (s #>> '{attention,patrolGapDaysCap}')::float8) end;
begin
  return jsonb_build_object(
    'total', public.round1(coverage_gap + risk + issues + patrol),
    'coverageGap', public.round1(coverage_gap),
    'atRiskOverdue', public.round1(risk),
    'overdueIssues', public.round1(issues),
    'patrolGap', public.round1(patrol));
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Days since each grid's last patrol that counts (at least patrolMinMinutes, ended)
-- ---------------------------------------------------------------------------------------------

/**
 * Per grid with a counting patrol day on or before D: the days from the latest such day to D.
 * A China day counts when the grid's ended patrols started that day add up to at least the
 * policy's patrolMinMinutes. Grids that never had one are absent.
 */
create function public.grid_days_since_patrol(as_of date)
returns table (grid_id integer, days integer)
language sql stable security definer
set search_path = public, extensions
as $$
  -- The minimum once per grid; a lateral lookup here ran once per grid and patrol day.
  with m as materialized (
    select g.id, (public.policy_settings_at(g.community_id, as_of) ->> 'patrolMinMinutes')::int as min_minutes
    from public.grids g
  )
  select d.grid_id, as_of - max(d.day)
  from (
    select pt.grid_id, public.china_date(pt.started_at) as day, sum(pt.ended_at - pt.started_at) as walked
    from public.patrols pt
    where pt.ended_at is not null and public.china_date(pt.started_at) <= as_of
    group by pt.grid_id, public.china_date(pt.started_at)
  ) d
  join m on m.id = d.grid_id
  where d.walked >= make_interval(mins => m.min_minutes)
  group by d.grid_id
$$;

revoke execute on function public.grid_days_since_patrol(date) from public;

grant execute on function public.grid_days_since_patrol(date) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Per grid and per building (public aggregates)
-- ---------------------------------------------------------------------------------------------

/**
 * The map's figures for every grid that exists at D: households, covered and coverage, overdue,
 * at risk and at-risk overdue, open and overdue issues, days since the last visit and since the
 * last counting patrol, and the attention score with its breakdown. Aggregates only. This is
 * the definition, reading every visit on each call; for the product's today the API reads the
 * rollups (grid_stats_rollup) instead, and minqing.stats_drift checks the two agree.
 */
create function public.grid_stats(as_of date)
returns table (
  grid_id integer, households integer, covered_households integer, coverage double precision,
  overdue_households integer, at_risk_households integer, at_risk_overdue integer,
  open_issues integer, overdue_issues integer, days_since_last_visit integer,
  days_since_last_patrol integer, attention double precision, attention_breakdown jsonb
)
language sql stable security definer
set search_path = public, extensions
as $$
  with hs as (select * from public.household_visit_status(as_of) where grid_id is not null),
  h as (
    select hs.grid_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from hs group by hs.grid_id
  ),
  i as (
    select s.grid_id, count(*) filter (where open)::int as open, count(*) filter (where overdue)::int as overdue
    from public.issue_status_at(as_of) s group by s.grid_id
  ),
  g as (
    select g.id, public.policy_settings_at(g.community_id, as_of) as s
    from public.grids g where g.id in (select v.grid_id from public.grid_versions_at(as_of) v)
  ),
  p as (select * from public.grid_days_since_patrol(as_of)),
  r as (
    select g.id, g.s, coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, p.days as days_patrol
    from g left join h on h.grid_id = g.id left join i on i.grid_id = g.id left join p on p.grid_id = g.id
  )
  select r.id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
  order by r.id
$$;

/**
 * The same figures per building at D, for every building: its grid at D, its households, its
 * issues, and its grid's patrol days; the policy is its grid's community's (the street-wide
 * one outside every grid).
 */
create function public.building_stats(as_of date)
returns table (
  building_id integer, grid_id integer, households integer, covered_households integer, coverage double precision,
  overdue_households integer, at_risk_households integer, at_risk_overdue integer,
  open_issues integer, overdue_issues integer, days_since_last_visit integer,
  days_since_last_patrol integer, attention double precision, attention_breakdown jsonb
)
language sql stable security definer
set search_path = public, extensions
as $$
  with hs as (select * from public.household_visit_status(as_of)),
  h as (
    select hs.building_id, count(*)::int as n, count(*) filter (where covered)::int as covered,
      count(*) filter (where overdue)::int as overdue, count(*) filter (where at_risk)::int as at_risk,
      count(*) filter (where at_risk and overdue)::int as at_risk_overdue, max(last_visit) as last_visit
    from hs group by hs.building_id
  ),
  i as (
    select s.building_id, count(*) filter (where open)::int as open, count(*) filter (where overdue)::int as overdue
    from public.issue_status_at(as_of) s where s.building_id is not null group by s.building_id
  ),
  gp as (select p.grid_id, p.days as days_since_last_patrol from public.grid_days_since_patrol(as_of) p),
  r as (
    select b.id, bg.grid_id,
      public.policy_settings_at((select g.community_id from public.grids g where g.id = bg.grid_id), as_of) as s,
      coalesce(h.n, 0) as n, coalesce(h.covered, 0) as covered, coalesce(h.overdue, 0) as overdue,
      coalesce(h.at_risk, 0) as at_risk, coalesce(h.at_risk_overdue, 0) as at_risk_overdue,
      coalesce(i.open, 0) as open_issues, coalesce(i.overdue, 0) as overdue_issues,
      as_of - h.last_visit as days_visit, gp.days_since_last_patrol as days_patrol
    from public.buildings b
    left join public.building_grids_at(as_of) bg on bg.building_id = b.id
    left join h on h.building_id = b.id left join i on i.building_id = b.id left join gp on gp.grid_id = bg.grid_id
  )
  select r.id, r.grid_id, r.n, r.covered, case when r.n > 0 then r.covered::float8 / r.n end,
    r.overdue, r.at_risk, r.at_risk_overdue, r.open_issues, r.overdue_issues, r.days_visit, r.days_patrol,
    (a ->> 'total')::float8, a - 'total'
  from r, lateral public.attention_points(r.s, r.n, r.covered, r.at_risk, r.at_risk_overdue, r.overdue_issues, r.days_patrol) a
  order by r.id
$$;

revoke execute on function public.grid_stats(date), public.building_stats(date), public.policy_settings_at(integer, date)
  from public;

grant execute on function public.grid_stats(date), public.building_stats(date), public.policy_settings_at(integer, date)
  to authenticated, service_role;

grant select on public.visit_policies to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The mop-up list: a grid's overdue households, at-risk first, then longest overdue
-- It names a household only by its address (building, unit, room) and categories — what a grid
-- worker needs to go and knock — never by name or phone.
-- ---------------------------------------------------------------------------------------------

/**
 * A grid's households overdue at D, at-risk first, then by due date: building, address, unit,
 * room, categories, last visit, due date and days overdue. A signed-in caller without access to
 * the grid (minqing.grid_access, *_access.sql) gets no rows; server tasks, which run without
 * request claims, get them. Derives the status of the grid's own households only, by
 * household_status_of; PL/pgSQL so that their ids are computed once (see "One grid's figures").
 */
create function public.grid_overdue_households(p_grid_id integer, as_of date)
returns table (
  household_id integer, building_id integer, address text, unit text, room text,
  categories public.household_category[], at_risk boolean, last_visit date, due_date date, days_overdue integer
)
language plpgsql stable security definer
set search_path = public, extensions
as $$
declare
  ids integer[];
begin
  -- Server tasks run with no request claims; every API and PostgREST call has them.
  if nullif(current_setting('request.jwt.claims', true), '') is not null and minqing.grid_access(p_grid_id) = 'none' then
    return;
  end if;
  ids := minqing.grid_household_ids(p_grid_id, as_of);
  return query
    select s.household_id, s.building_id, b.address, h.unit, h.room, h.categories, s.at_risk,
      s.last_visit, s.due_date, as_of - s.due_date
    from minqing.household_status_of(as_of, ids) s
    join public.households h on h.id = s.household_id
    join public.buildings b on b.id = s.building_id
    where s.grid_id = p_grid_id and s.overdue
    order by s.at_risk desc, s.due_date, s.household_id;
end
$$;

revoke execute on function public.grid_overdue_households(integer, date) from public;

grant execute on function public.grid_overdue_households(integer, date) to authenticated, service_role;

-- =============================================================================================
-- Workload per building, for the boundary editor's preview of what a redraw would move
-- Grid leaders redraw their own grid, but its neighbours' buildings belong to other leaders,
-- whose households they may not read. The preview needs only counts, so it reads them through
-- this aggregate — per building, no personal data — like the map's other aggregates.
-- =============================================================================================

/**
 * Per building with households at D: how many live there, and the visits they require per
 * month under the policy in force at D for the community of the building's current grid
 * (30.44 days ÷ the strictest category's interval, summed over the households).
 */
create function public.building_workload(as_of date)
returns table (building_id integer, households integer, visits_per_month double precision)
language sql stable security definer
set search_path = public, extensions
as $$
  -- One row per community, and one for buildings in no grid (the street-wide policy), exactly
  -- what policy_settings_at(g.community_id, as_of) gave per household.
  with pol as (
    select c.id as community_id, public.policy_settings_at(c.id, as_of) as s from public.communities c
    union all
    select null, public.policy_settings_at(null, as_of)
  )
  select h.building_id, count(*)::integer,
    sum(30.44 / (select min((pol.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c))
  from public.households h
  join public.buildings b on b.id = h.building_id
  left join public.grids g on g.id = b.grid_id
  join pol on coalesce(pol.community_id, 0) = coalesce(g.community_id, 0)
  where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
  group by h.building_id
$$;

revoke execute on function public.building_workload(date) from public;

grant execute on function public.building_workload(date) to authenticated, service_role;

-- =============================================================================================
-- Statistics rollups: the map's figures for today, kept current, read in milliseconds
--
-- grid_stats(as_of) / building_stats(as_of) above are the definition; they aggregate every
-- visit on every call. For the product's today the API reads these rollups
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
-- SECURITY DEFINER reading functions below (grid_stats_rollup, …), never a household row.
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
-- pushed down to the indexes; minqing.stats_drift checks that they agree with grid_stats().
-- No `set search_path` (every name is qualified) and invoker rights: only such SQL functions are
-- inlined into the calling query, and only inlined, with the ids known (EXECUTE … USING in the
-- callers, a plan per call), does `ids is null or x = any(ids)` become an index lookup for one
-- visit's household instead of a scan of every visit.
-- ---------------------------------------------------------------------------------------------

/**
 * household_visit_status at D as rollup rows, for the households ids (null: all). A
 * household's grid is its building's at the end of D, from building_grid_history.
 */
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
  -- What counts, once per community (0: buildings in no grid), in plain columns for the visits.
  rule as (
    select coalesce(community_id, 0) as k, s,
      array(select jsonb_array_elements_text(s -> 'countedMethods')) as methods,
      (s ->> 'notHomeCounts')::boolean as not_home
    from pol
  ),
  hh as (
    select h.id, h.building_id, bgh.grid_id, h.moved_in, rule.k,
      (select min((rule.s -> 'intervals' ->> c::text)::int) from unnest(h.categories) c) as required_interval,
      h.categories && array(select jsonb_array_elements_text(rule.s -> 'atRisk'))::public.household_category[] as at_risk
    from public.households h
    left join public.building_grid_history bgh on bgh.building_id = h.building_id and bgh.valid_from < public.china_day_end(as_of) and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
    left join public.grids g on g.id = bgh.grid_id
    join rule on rule.k = coalesce(g.community_id, 0)
    where h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
      and (ids is null or h.id = any(ids))
  ),
  lv as (
    select v.household_id, max(public.china_date(v.visited_at)) as last_visit
    from public.visits v
    join hh on hh.id = v.household_id
    join rule on rule.k = hh.k
    where public.china_date(v.visited_at) <= as_of
      and v.method::text = any (rule.methods)
      and (v.result = 'met' or rule.not_home)
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

/**
 * Open and overdue issue counts at D per grid or per building (by = 'grid' | 'building'), for
 * the grids or buildings ids (null: all); those without an open issue are absent.
 */
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

/**
 * grid_days_since_patrol at D for the grids ids (null: all). The policy's minimum is looked up
 * once per grid (materialized), not once per patrol day.
 */
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

/**
 * grid_stats' rows at D for the grids ids (null: all) that exist at D, from the household
 * rollup (which must already be current for these grids), their issues and their patrols.
 */
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

/**
 * building_stats' rows at D for the buildings ids (null: all), from the household rollup and
 * the grid rollup (its patrol days), both of which must already be current.
 */
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
    join pol on coalesce(pol.community_id, 0) = coalesce(g.community_id, 0)
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

/**
 * Rebuilds all three rollups at D and records D as their date. Returns the version, which it
 * bumps first (taking the row lock that serializes figure changes).
 */
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

/**
 * Recomputes rollup rows at the rollups' date after a change. p_households: these households
 * (and the buildings and grids they were and are in); p_buildings: these buildings' rows;
 * p_grids: these grids' rows and every building row in them (a building row carries its grid's
 * patrol days and policy). Only bumps the version while the rollups have never been built.
 */
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

/**
 * Bumps the version and says whether the rollups have never been built: until the first read
 * builds them (seeding, bulk loads) a change costs the triggers only this.
 */
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

/**
 * Visits: inserted ones are applied as deltas (stats_apply_visit_dates, at the end of this
 * file); updated and deleted ones recompute their households.
 */
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
  if tg_op = 'INSERT' then
    perform minqing.stats_apply_visit_dates(
      array(select household_id from new_rows order by id), array(select public.china_date(visited_at) from new_rows order by id),
      array(select method::text from new_rows order by id), array(select result::text from new_rows order by id));
    return null;
  elsif tg_op = 'UPDATE' then hh := array(select household_id from new_rows union select household_id from old_rows);
  else hh := array(select household_id from old_rows);
  end if;
  perform minqing.stats_apply(hh, null, null);
  return null;
end
$$;

/**
 * Households: recomputes the households a statement touched. A moved household leaves its old
 * building too: stats_apply reads the old placement from the rollup.
 */
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

/**
 * Buildings: recomputes new, removed and regridded buildings and their households. A boundary
 * commit moves buildings between grids in bulk (UPDATE buildings SET grid_id): the households
 * of the moved buildings change grid (and maybe community, hence policy); the old and new grids
 * follow from the rollup's old rows and the table's new ones.
 */
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

/**
 * Grids: a new grid gets its row; a grid moved to another community changes its households'
 * policy, so they are recomputed too.
 */
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

/** Issues: recomputes the issue counts of the grids and buildings the issues were and are in. */
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

/**
 * Issue events (a cancellation closes an issue): recomputes the issue counts of their issues'
 * grids and buildings.
 */
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

/** Patrols: recomputes their grids' rows and every building row in those grids. */
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

/**
 * Policies, and communities moved to another street: a policy changes intervals, counted
 * methods and weights for a whole community or street, which is rare, so the rollups are
 * rebuilt at their date.
 */
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

/** Recomputes these grids' rows only (issue counts changed; households and buildings did not). */
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

-- The triggers, <table>_stats_ins / _del / _upd. A community matters only when it moves to
-- another street (an update); issue events are never updated.
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
/**
 * The version for caching (ETag) and live events, after making sure the rollups hold p_as_of:
 * the first read of a new product day rebuilds them (the product's today comes from the API's
 * configuration, so only a caller can say that the day changed).
 */
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

/** The current version without building anything (past dates, live events). */
create function public.stats_version() returns bigint
language sql stable security definer
set search_path = public, extensions
as $$ select version from minqing.stats_state $$;

/** The grid rollup, by grid: grid_stats' rows at the rollups' date (call stats_rollup_ready first). */
create function public.grid_stats_rollup()
returns setof minqing.grid_rollup
language sql stable security definer
set search_path = public, extensions
as $$ select * from minqing.grid_rollup order by grid_id $$;

/** The building rollup, by building: building_stats' rows at the rollups' date. */
create function public.building_stats_rollup()
returns setof minqing.building_rollup
language sql stable security definer
set search_path = public, extensions
as $$ select * from minqing.building_rollup order by building_id $$;

-- ---------------------------------------------------------------------------------------------
-- Drift: every grid and building figure that differs from grid_stats / building_stats at the
-- rollups' date (stats:rebuild prints these; a test corrupts a row and expects it reported).
-- ---------------------------------------------------------------------------------------------

/**
 * One row per rollup figure that differs from grid_stats / building_stats at the rollups'
 * date: kind ('grid' | 'building'), id, metric, both values. Empty when they agree.
 */
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
revoke execute on function minqing.household_status_of(date, integer[]), minqing.issue_counts_of(date, text, integer[]),
  minqing.patrol_days_of(date, integer[]), minqing.grid_rows_of(date, integer[]), minqing.building_rows_of(date, integer[]),
  minqing.stats_rebuild(date), minqing.stats_apply(integer[], integer[], integer[]), minqing.stats_unbuilt(),
  minqing.stats_on_visits(), minqing.stats_on_households(), minqing.stats_on_buildings(), minqing.stats_on_grids(),
  minqing.stats_on_issues(), minqing.stats_on_issue_events(), minqing.stats_on_patrols(), minqing.stats_on_policies(),
  minqing.stats_refresh_grids(integer[]), minqing.stats_drift() from public;

grant execute on function minqing.stats_rebuild(date), minqing.stats_drift() to service_role;

revoke execute on function public.stats_rollup_ready(date), public.stats_version(),
  public.grid_stats_rollup(), public.building_stats_rollup() from public;

grant execute on function public.stats_rollup_ready(date), public.stats_version(),
  public.grid_stats_rollup(), public.building_stats_rollup() to authenticated, service_role;

-- =============================================================================================
-- Month-end snapshots: each closed month's grid figures, computed once
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
/**
 * Computes and stores month end E if it is not stored; true when stored (the caller then reads
 * public.grid_month_snapshots as itself, under row-level security). Clearing the claims makes
 * minqing.report_grid_ids() answer every street's grids: a snapshot is shared by all streets.
 * One filler per month end, under an advisory lock that month_snapshot_status can see.
 */
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
/**
 * Removes every month end on or after p_from. The version bump comes first: it is the lock a
 * concurrent fill waits on (see "Concurrency" above), and it changes the ETag of past-date stats.
 */
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

/** Visits count on their date: any insert, edit or removal moves figures from that date on. */
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

/**
 * A household counts from moving in. Its building and categories are read as they currently are
 * for every past date (the definition), so changing them moves figures from its move-in on; only
 * a changed move-out date moves them from the earlier of the old and new move-out. Edits of
 * names, phones and notes change nothing.
 */
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

/**
 * A matter counts from its receipt: its grid, times, evaluation and whether it is cancelled
 * (issue_indicators leaves cancelled ones out whenever they were cancelled) move figures from
 * the received date; closing it moves them from the earlier close date. Handling steps (status
 * registered → assigned → in progress, tier, notes) move nothing.
 */
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

/** Of a matter's events only a cancellation is read (open at D), from its date. */
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

/** A patrol counts for the day it started. */
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

/** A policy version is in force from valid_from. */
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

/**
 * Boundary history: a building's grid and a grid's existence over time. A row counts over
 * [valid_from, valid_to): a new or removed row from its start; a row whose grid changed from the
 * earlier start; a row only closed (a boundary commit closing the open row at its own time) from
 * the earlier end, so committing a boundary today leaves closed months alone while a change
 * stamped in the past (or a row valid since -infinity, as an import writes) removes the months
 * after it.
 */
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

/**
 * A grid's community decides the policy of every date, and a community's street which grids a
 * street reports: rare edits that move every month (-infinity). A new or removed grid arrives
 * with its grid_versions rows (above); grid names, boundaries and retirements are versioned there.
 */
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

-- The triggers, <table>_snapshots_ins / _del / _upd, for the events each table's rule needs.
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

/**
 * One row per stored figure of month end E that differs from the reference functions at E:
 * grid, metric, both values. Empty when they agree. Clears the claims, as the fill does.
 */
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

-- =============================================================================================
-- One grid's figures, from its own households only
-- Opening a grid shows its mop-up list (grid_overdue_households, above), its header counts
-- (households, covered) and its month's 按期走访率. Each derives the status of the grid's own
-- households only, by the per-household definition of the rollups (minqing.household_status_of,
-- checked equal to the reference by stats_drift), rather than every household of the street cut
-- to one grid, which took seconds per opening on the embedded database. Tests compare them with
-- the street-wide functions for every grid.
-- The callers are PL/pgSQL so that the grid's household ids are computed once: passed as an
-- expression to household_status_of (a SQL function the planner inlines), they would be
-- recomputed per row.
-- =============================================================================================

/**
 * Every household, moved in or out, whose building lay in the grid at the end of China day D;
 * household_status_of then keeps those living there at D.
 */
create function minqing.grid_household_ids(p_grid_id integer, as_of date) returns integer[]
language sql stable
set search_path = public, extensions
as $$
  select coalesce(array_agg(h.id), '{}')
  from public.building_grid_history bgh
  join public.households h on h.building_id = bgh.building_id
  where bgh.grid_id = p_grid_id
    and bgh.valid_from < public.china_day_end(as_of)
    and (bgh.valid_to is null or bgh.valid_to >= public.china_day_end(as_of))
$$;

revoke execute on function minqing.grid_household_ids(integer, date) from public;

/**
 * grid_stats' households and covered_households for one grid at D: aggregates, open to the
 * street like grid_stats itself.
 */
create function public.grid_visit_counts(p_grid_id integer, as_of date)
returns table (households integer, covered_households integer)
language plpgsql stable security definer
set search_path = public, extensions
as $$
declare
  ids integer[] := minqing.grid_household_ids(p_grid_id, as_of);
begin
  return query
    select count(*)::int, count(*) filter (where s.covered)::int
    from minqing.household_status_of(as_of, ids) s
    where s.grid_id = p_grid_id;
end
$$;

revoke execute on function public.grid_visit_counts(integer, date) from public;

grant execute on function public.grid_visit_counts(integer, date) to authenticated, service_role;

-- =============================================================================================
-- 按期走访率 for some grids or for all: report_visit_timeliness's definition (*_meetings.sql)
-- over the status of those grids' households only. report_visit_timeliness (the month report,
-- every grid of the caller's street) is this function for all grids, so one definition serves
-- both.
-- =============================================================================================

/**
 * Per grid, for the period [p_from, p_to]: the households due for a visit in it (by their
 * status the day before p_from, still living there on the due date), how many had a counting
 * visit in the period, and how many had their first one by the due date. For the grids given,
 * or every grid minqing.report_grid_ids() answers when p_grid_ids is null; the policy is the
 * one in force at p_to.
 */
create function minqing.visit_timeliness(p_from date, p_to date, p_grid_ids integer[])
returns table (grid_id integer, due integer, done integer, on_time integer)
language plpgsql stable
set search_path = public, extensions
as $$
declare
  ids integer[];  -- null: every household
begin
  if p_grid_ids is not null then
    select coalesce(array_agg(x), '{}') into ids
    from unnest(p_grid_ids) g, unnest(minqing.grid_household_ids(g, p_from - 1)) x;
  end if;
  return query
    -- The month-end policy's counted methods and results, once per grid (not per row).
    with pol as (
      select g.id as grid_id, p.s -> 'countedMethods' as methods, (p.s ->> 'notHomeCounts')::boolean as not_home_counts
      from public.grids g cross join lateral (select public.policy_settings_at(g.community_id, p_to) as s) p
      where g.id = any (minqing.report_grid_ids()) and (p_grid_ids is null or g.id = any (p_grid_ids))
    ),
    st as (
      select s.household_id, s.grid_id, s.due_date, pol.methods, pol.not_home_counts
      from minqing.household_status_of(p_from - 1, ids) s
      join pol on pol.grid_id = s.grid_id
      join public.households h on h.id = s.household_id
      where s.due_date between p_from and p_to
        and (h.moved_out is null or h.moved_out > s.due_date)
    )
    -- One index probe per household (visits_household_visited_at_idx) for its first counted
    -- visit of the period: a join then aggregate misjudges the sizes and loops over every pair.
    select st.grid_id, count(*)::int, count(v.first_visit)::int,
      count(*) filter (where v.first_visit <= st.due_date)::int
    from st
    left join lateral (
      select min(public.china_date(x.visited_at)) as first_visit
      from public.visits x
      where x.household_id = st.household_id
        and x.visited_at >= (p_from::timestamp - interval '8 hours') at time zone 'UTC'
        and x.visited_at < ((p_to + 1)::timestamp - interval '8 hours') at time zone 'UTC'
        and st.methods ? x.method::text
        and (x.result = 'met' or st.not_home_counts)
    ) v on true
    group by st.grid_id;
end
$$;

revoke execute on function minqing.visit_timeliness(date, date, integer[]) from public;

/** One grid's 按期走访率 counts, for its panel: aggregates, open to the street like the month report. */
create function public.grid_visit_timeliness(p_grid_id integer, p_from date, p_to date)
returns table (grid_id integer, due integer, done integer, on_time integer)
language sql stable security definer
set search_path = public, extensions
as $$ select * from minqing.visit_timeliness(p_from, p_to, array[p_grid_id]) $$;

revoke execute on function public.grid_visit_timeliness(integer, date, date) from public;

grant execute on function public.grid_visit_timeliness(integer, date, date) to authenticated, service_role;

-- =============================================================================================
-- Month-end snapshot status: the request path never queues behind a fill
--
-- At a district's size storing one closed month end (public.month_snapshot_ready) takes longer
-- than a request may run. The nightly `npm run stats:rebuild` stores the twelve closed months
-- ahead of time; for whatever it did not store, the API asks here first whether the month end
-- is stored, being stored right now (by this or another API process, or by the nightly job), or
-- missing, and then waits a bounded time (MONTH_END_WAIT_MS) for its own fill or answers 503
-- with Retry-After, instead of taking the fill's lock and queueing behind it.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- Status
-- ---------------------------------------------------------------------------------------------
/**
 * 'stored' | 'filling' | 'missing'. "Filling" is the fill's own advisory lock (the same two keys
 * month_snapshot_ready takes) held by a transaction, seen in pg_locks without taking it: asking
 * must not make the asker wait or hold the lock. Definer rights: pg_locks shows the lock's
 * existence only, but the state table is private. The answer may be stale by the time the
 * caller acts on it; the fill itself re-checks under the lock, so a stale answer costs at most
 * one wasted wait, never a wrong figure.
 */
create function public.month_snapshot_status(p_month_end date) returns text
language sql stable security definer
set search_path = public, extensions
as $$
  select case
    when exists (select 1 from minqing.month_snapshot_state s where s.month_end = p_month_end) then 'stored'
    when exists (
      select 1 from pg_catalog.pg_locks l
      where l.locktype = 'advisory' and l.granted and l.objsubid = 2
        and l.classid = hashtext('minqing.month_snapshot')::oid
        and l.objid = (p_month_end - date '2000-01-01')::oid
    ) then 'filling'
    else 'missing'
  end
$$;

revoke execute on function public.month_snapshot_status(date) from public, anon;

grant execute on function public.month_snapshot_status(date) to authenticated, service_role;

-- =============================================================================================
-- Statistics rollups: new visits applied as deltas
-- Visits arrive in bulk, and recomputing each visited household from all its visits, then each
-- touched grid and building row from all its households, issues and patrols, costs about three
-- times what these deltas do. A new visit can do one thing only: if it counts under the policy
-- in force at the rollups' date (counted method; met, or not-home when the policy counts it; on
-- or before that date), its household's last visit becomes the later of the two dates, and
-- covered / due / overdue follow with household_status_of's expressions. Building, grid,
-- interval and risk do not depend on visits, nor do a grid's issues, patrols or households. So
-- an INSERT into visits sets those household rows from the visit's date and adds the difference
-- between their old and new rows to their grids' and buildings' rows, recomputing coverage and
-- attention from the new counts with grid_rows_of / building_rows_of's expressions. Updates and
-- deletes of visits keep the full recompute (stats_apply). minqing.stats_drift and the property
-- tests compare the result with the reference definitions after random sequences of writes.
-- =============================================================================================

/**
 * Writes the households' new rows and adds the rows' differences to their grids and buildings,
 * recomputing coverage and attention. `before` and `after` hold the same households, with the
 * same building, grid and risk; only visit-derived columns differ.
 */
create function minqing.stats_apply_household_changes(d date, before minqing.household_rollup[], after minqing.household_rollup[])
returns void
language plpgsql volatile security definer
set search_path = public, extensions
as $$
begin
  update minqing.household_rollup r
  set required_interval = n.required_interval, last_visit = n.last_visit, covered = n.covered,
      due_date = n.due_date, overdue = n.overdue
  from unnest(after) n
  where r.household_id = n.household_id;

  -- The policy once per community (a lookup per grid cost more than the rest of the update).
  with pol as materialized (
    select c.id as community_id, public.policy_settings_at(c.id, d) as s from public.communities c
    where c.id in (select x.community_id from public.grids x join unnest(after) n on n.grid_id = x.id)
    union all
    select null, public.policy_settings_at(null, d)
  ),
  delta as materialized (
    select n.grid_id, n.building_id, n.covered::int - o.covered::int as d_covered, n.overdue::int - o.overdue::int as d_overdue,
      (n.at_risk and n.overdue)::int - (o.at_risk and o.overdue)::int as d_at_risk_overdue, n.last_visit
    from unnest(before) o join unnest(after) n on n.household_id = o.household_id
  ),
  g as (
    select grid_id, sum(d_covered)::int as dc, sum(d_overdue)::int as dov, sum(d_at_risk_overdue)::int as dro, max(last_visit) as lv
    from delta where grid_id is not null group by grid_id
  ),
  nx as (
    select gr.grid_id, gr.households, gr.covered_households + g.dc as covered, gr.overdue_households + g.dov as overdue,
      gr.at_risk_households, gr.at_risk_overdue + g.dro as at_risk_overdue,
      -- days since the grid's latest visit: a new visit can only bring it nearer
      least(gr.days_since_last_visit, d - g.lv) as days_visit,
      gr.overdue_issues, gr.days_since_last_patrol, pol.s
    from minqing.grid_rollup gr
    join g on g.grid_id = gr.grid_id
    join public.grids x on x.id = gr.grid_id
    join pol on pol.community_id = x.community_id
  ),
  -- A data-modifying WITH runs whether or not it is read: the grids' rows, in the same statement.
  grids_done as (
    update minqing.grid_rollup gr
    set covered_households = nx.covered,
        coverage = case when nx.households > 0 then nx.covered::float8 / nx.households end,
        overdue_households = nx.overdue, at_risk_overdue = nx.at_risk_overdue, days_since_last_visit = nx.days_visit,
        attention = (a ->> 'total')::float8, attention_breakdown = a - 'total'
    from nx, lateral public.attention_points(nx.s, nx.households, nx.covered, nx.at_risk_households, nx.at_risk_overdue,
                                             nx.overdue_issues, nx.days_since_last_patrol) a
    where gr.grid_id = nx.grid_id
      -- A visit to a household already covered, in a grid already visited that day, changes no
      -- count: such rows are left as they are (most of a day's visits, and no row version written).
      and (gr.covered_households, gr.overdue_households, gr.at_risk_overdue, gr.days_since_last_visit)
          is distinct from (nx.covered, nx.overdue, nx.at_risk_overdue, nx.days_visit)
  ),
  b as (
    select building_id, sum(d_covered)::int as dc, sum(d_overdue)::int as dov, sum(d_at_risk_overdue)::int as dro, max(last_visit) as lv
    from delta group by building_id
  ),
  -- A building's policy is its grid's community's, or the street default without a grid (as
  -- building_rows_of: its grid at the rollups' date, which the row holds).
  bx as (
    select br.building_id, br.households, br.covered_households + b.dc as covered, br.overdue_households + b.dov as overdue,
      br.at_risk_households, br.at_risk_overdue + b.dro as at_risk_overdue,
      least(br.days_since_last_visit, d - b.lv) as days_visit,
      br.overdue_issues, br.days_since_last_patrol, pol.s
    from minqing.building_rollup br
    join b on b.building_id = br.building_id
    left join public.grids x on x.id = br.grid_id
    join pol on coalesce(pol.community_id, 0) = coalesce(x.community_id, 0)
  )
  update minqing.building_rollup br
  set covered_households = bx.covered,
      coverage = case when bx.households > 0 then bx.covered::float8 / bx.households end,
      overdue_households = bx.overdue, at_risk_overdue = bx.at_risk_overdue, days_since_last_visit = bx.days_visit,
      attention = (a ->> 'total')::float8, attention_breakdown = a - 'total'
  from bx, lateral public.attention_points(bx.s, bx.households, bx.covered, bx.at_risk_households, bx.at_risk_overdue,
                                           bx.overdue_issues, bx.days_since_last_patrol) a
  where br.building_id = bx.building_id
    and (br.covered_households, br.overdue_households, br.at_risk_overdue, br.days_since_last_visit)
        is distinct from (bx.covered, bx.overdue, bx.at_risk_overdue, bx.days_visit);
end
$$;

/**
 * Applies new visits, given as parallel arrays (household, China date, method, result), one
 * element per inserted row: each household whose last counting visit moves later gets its new
 * row, through stats_apply_household_changes. Does nothing while the rollups are unbuilt.
 */
create function minqing.stats_apply_visit_dates(p_households integer[], p_days date[], p_methods text[], p_results text[])
returns void
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  d date;
  before minqing.household_rollup[];
  after minqing.household_rollup[];
begin
  if cardinality(p_households) = 0 then return; end if;
  -- The lock that serializes figure changes, as in stats_apply (see the rollups' header).
  update minqing.stats_state set version = version + 1 returning as_of into d;
  if d is null then return; end if;  -- never built: the first read builds from scratch

  -- The latest counting date per household, under its community's policy at d, as
  -- household_status_of's `lv` (a household without a row is not counted at d: nothing to do).
  with v as (
    select * from unnest(p_households, p_days, p_methods, p_results) as v(household_id, day, method, result)
    where v.day <= d
  ),
  hr as materialized (
    select r, x.community_id from minqing.household_rollup r left join public.grids x on x.id = r.grid_id
    where r.household_id in (select household_id from v)
  ),
  pol as materialized (
    select c.id as community_id, public.policy_settings_at(c.id, d) as s from public.communities c
    where c.id in (select community_id from hr)
    union all
    select null, public.policy_settings_at(null, d)
  ),
  q as (
    select (hr.r).household_id, max(v.day) as day
    from hr
    join pol on coalesce(pol.community_id, 0) = coalesce(hr.community_id, 0)
    join v on v.household_id = (hr.r).household_id
    where v.method in (select jsonb_array_elements_text(pol.s -> 'countedMethods'))
      and (v.result = 'met' or (pol.s ->> 'notHomeCounts')::boolean)
    group by (hr.r).household_id
  ),
  changed as (
    select hr.r as o, greatest((hr.r).last_visit, q.day) as lv
    from hr join q on q.household_id = (hr.r).household_id
    where (hr.r).last_visit is null or q.day > (hr.r).last_visit
  )
  select array_agg(o), array_agg(row(
      (o).household_id, (o).building_id, (o).grid_id, (o).required_interval, lv,
      coalesce(lv > d - (o).required_interval, false),
      lv + (o).required_interval,
      not coalesce(lv > d - (o).required_interval, false) and lv + (o).required_interval < d,
      (o).at_risk)::minqing.household_rollup)
  into before, after
  from changed;

  if before is null then return; end if;
  perform minqing.stats_apply_household_changes(d, before, after);
end
$$;

revoke execute on function minqing.stats_apply_household_changes(date, minqing.household_rollup[], minqing.household_rollup[]),
  minqing.stats_apply_visit_dates(integer[], date[], text[], text[]) from public;

-- =============================================================================================
-- Room on each page for the rollups' updates
-- A new visit rewrites its household's, grid's and building's rollup rows. No updated column is
-- indexed, so PostgreSQL can write the new version on the same page without touching the
-- indexes (a HOT update), but only if the page has room: the rebuild would pack them full. The
-- fill factor applies to the rows the rebuild inserts (stats:rebuild, nightly).
-- =============================================================================================
alter table minqing.household_rollup set (fillfactor = 70);

alter table minqing.building_rollup set (fillfactor = 70);

alter table minqing.grid_rollup set (fillfactor = 50);

-- =============================================================================================
-- One grid's household count, by its indexes
-- The map starts once the grids' GeoJSON has arrived, and GET /api/grids gives each of the
-- caller's grids its household count. grid_household_counts(D) (*_people.sql) counts every
-- household of the database to keep the caller's grids; this counts one grid from
-- building_grid_history's grid index and the households' building index, with the same rule,
-- several times faster for a street leader's few hundred grids. grid_household_counts is for
-- the callers that want every grid.
-- =============================================================================================

/**
 * The households living at D in the buildings grid p_grid_id had at the end of China day D
 * (the rule of grid_household_counts, for one grid).
 */
create function public.grid_household_count(p_grid_id integer, as_of date) returns integer
language sql stable security definer
set search_path = public, extensions
as $$
  select count(*)::integer
  from public.building_grid_history bg
  join public.households h on h.building_id = bg.building_id
  where bg.grid_id = p_grid_id
    and bg.valid_from < public.china_day_end(as_of) and (bg.valid_to is null or bg.valid_to >= public.china_day_end(as_of))
    and h.moved_in <= as_of and (h.moved_out is null or h.moved_out > as_of)
$$;

-- A count, like grid_household_counts: no household is identified, so any signed-in caller may
-- ask (the grid's row itself is what row-level security guards, in the calling query).
revoke execute on function public.grid_household_count(integer, date) from public;

grant execute on function public.grid_household_count(integer, date) to authenticated, service_role;

comment on table minqing.stats_state is 'The date the statistics rollups hold (null until first built) and the version every figure change bumps.';
comment on table minqing.household_rollup is 'Each household''s visit status at stats_state.as_of; private, read only by the definer functions.';
comment on table minqing.grid_rollup is 'grid_stats at stats_state.as_of, one row per grid, kept current by triggers.';
comment on table minqing.building_rollup is 'building_stats at stats_state.as_of, one row per building, kept current by triggers.';
comment on table public.grid_month_snapshots is 'Each stored month end''s per-grid figures: grid_stats and the month report counts at that date.';
comment on table minqing.month_snapshot_state is 'The month ends whose snapshots are stored in full and current.';
comment on function public.default_policy_settings() is 'The visit policy used when a street has none; equal to DEFAULT_POLICY in geo/domain/visit-policy.ts.';
comment on function public.policy_settings_at(integer, date) is 'The visit policy in force for a community at a date: its own, else its street''s, else the default.';
comment on function public.household_visit_status(date) is 'Each household''s visit status at a date (interval, last counting visit, covered, due, overdue, at risk); private.';
comment on function public.issue_status_at(date) is 'Each issue''s grid and building, and whether it is open and overdue at a date.';
comment on function public.attention_points(jsonb, integer, integer, integer, integer, integer, integer) is 'The attention score and its breakdown in points, from a grid''s or building''s counts under a policy.';
comment on function public.grid_days_since_patrol(date) is 'Per grid, the days from its last counting patrol day to a date.';
comment on function public.grid_stats(date) is 'The map''s figures for every grid at a date: the reference definition.';
comment on function public.building_stats(date) is 'The map''s figures for every building at a date: the reference definition.';
comment on function public.grid_overdue_households(integer, date) is 'A grid''s mop-up list: its overdue households at a date by address, at-risk first.';
comment on function public.building_workload(date) is 'Per building, its households and the visits they require per month, for the boundary preview.';
comment on function public.stats_rollup_ready(date) is 'Makes sure the rollups hold a date (rebuilding on a new day) and returns the stats version.';
comment on function public.stats_version() is 'The stats version, for ETags and live events, without building anything.';
comment on function public.grid_stats_rollup() is 'The grid rollup: grid_stats rows at the rollups'' date.';
comment on function public.building_stats_rollup() is 'The building rollup: building_stats rows at the rollups'' date.';
comment on function public.month_snapshot_ready(date) is 'Stores a month end''s per-grid figures if not yet stored; true when stored.';
comment on function public.month_snapshot_status(date) is 'Whether a month end''s snapshot is stored, being filled, or missing, without waiting.';
comment on function public.grid_visit_counts(integer, date) is 'One grid''s households and covered households at a date.';
comment on function public.grid_visit_timeliness(integer, date, date) is 'One grid''s 按期走访率 counts for a period: due, done, on time.';
comment on function public.grid_household_count(integer, date) is 'The households living in a grid at a date.';

reset check_function_bodies;
