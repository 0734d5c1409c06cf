-- =============================================================================================
-- Policy joins by equality, and what counts as a visit read once per community
-- Found while profiling the district tier (2,100 grids, 336 communities, 530,680 households,
-- 5.98M visits; PostgreSQL):
--   * the functions below read the policy once per community into `pol`, plus one row with a
--     null community for buildings in no grid, and joined it with
--     `pol.community_id is not distinct from g.community_id`. No join strategy can hash or merge
--     on IS NOT DISTINCT FROM, so the planner joined every household with every policy row and
--     filtered: household_status_of(all) built 178,839,160 pairs to keep 530,680 (47 s, nearly
--     all of a full rollup rebuild), and a 2,000-visit bulk insert spent 185 of its 320 ms of
--     rollup maintenance in the same two loops. Community ids are positive (identity), so 0 can
--     stand for "no community" on both sides and the join becomes a plain equality.
--   * household_visit_status and household_status_of carried each household's whole policy
--     (jsonb) in the household rows and, for every one of ~4M visits, took the counted methods
--     and the not-home rule apart from it again (19.7 s of a past day's grid_stats, which then
--     took 36 s, past the API's 30 s statement timeout: a 504). `rule` reads them once per
--     community into plain columns and each household carries its community's key: 10.2 s.
--   * a visit to a household already covered, in a grid and building already visited that day,
--     changes none of their figures, yet stats_apply_household_changes wrote a new version of
--     each such row: for 2,000 district visits 1,263 grid and 1,770 building rows, of which 269
--     and 992 changed. A row is now updated only when a column a visit can change differs.
-- Same rows, same figures; signatures, rights and grants unchanged (create or replace keeps
-- them). minqing.stats_drift and the rollup property tests compare these with the reference
-- definitions as before.
-- =============================================================================================

-- ---------------------------------------------------------------------------------------------
-- The on-the-fly reference (20261127000100_boundary_history.sql)
-- ---------------------------------------------------------------------------------------------
create or replace function public.household_visit_status(as_of date)
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

-- ---------------------------------------------------------------------------------------------
-- Boundary preview's workload (20261129000200_slow_queries.sql)
-- ---------------------------------------------------------------------------------------------
create or replace function public.building_workload(as_of date)
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

-- ---------------------------------------------------------------------------------------------
-- Keyed recomputation (20261127000200_stats_rollups.sql)
-- ---------------------------------------------------------------------------------------------
create or replace function minqing.household_status_of(as_of date, ids integer[])
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

create or replace function minqing.building_rows_of(as_of date, ids integer[])
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
-- New visits as deltas (20261130000200_stats_visit_deltas.sql)
-- ---------------------------------------------------------------------------------------------
create or replace function minqing.stats_apply_household_changes(d date, before minqing.household_rollup[], after minqing.household_rollup[])
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

create or replace function minqing.stats_apply_visit_dates(p_households integer[], p_days date[], p_methods text[], p_results text[])
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

-- =============================================================================================
-- Attention points in plpgsql
-- The SQL version (20261122000600_coverage_metrics.sql) has a WITH, so it is never inlined and
-- each call runs as its own little query: 25 µs a row, measured over the district's 61,641
-- building rows (1.56 s), and the largest part left of a bulk insert's rollup maintenance, which
-- calls it for every touched grid and building. The same arithmetic in plpgsql, whose simple
-- expressions skip the executor: 7 µs a row (0.42 s), and the same jsonb on all 61,641 rows.
-- =============================================================================================
create or replace function public.attention_points(
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

-- =============================================================================================
-- Room on each page for the rollups' updates
-- A new visit rewrites its household's, grid's and building's rollup rows. No updated column is
-- indexed, so PostgreSQL can write the new version on the same page without touching the
-- indexes (a HOT update), but only if the page has room: the rebuild packs them full. Takes
-- effect at the next rebuild (stats:rebuild, nightly); until then updates are as before.
-- =============================================================================================
alter table minqing.household_rollup set (fillfactor = 70);
alter table minqing.building_rollup set (fillfactor = 70);
alter table minqing.grid_rollup set (fillfactor = 50);
