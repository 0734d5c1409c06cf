-- =============================================================================================
-- Statistics rollups: new visits applied as deltas (issue #9, "rollup maintenance ≤ 50 µs per
-- ingested visit in bulk")
-- Measured on the district tier (2,100 grids; PostgreSQL), for 2,000 visits to random
-- households, i.e. 1,230 grids and 1,831 buildings: stats_apply recomputed each visited
-- household from all its visits (household_status_of, ~11 visits each), then every touched grid
-- row from all its households, issues and patrols (1,134 ms, 837 of them patrol days) and every
-- touched building row (264 ms): 512 µs a visit in the bench's bulk step.
-- A new visit can do one thing only: if it counts under the policy in force at the rollups' date
-- (counted method; met, or not-home when the policy counts it; on or before that date), its
-- household's last visit becomes the later of the two dates, and covered / due / overdue follow
-- with household_status_of's expressions. Building, grid, interval and risk do not depend on
-- visits, nor do a grid's issues, patrols or households. So an INSERT into visits now sets those
-- household rows from the visit's date and adds the difference between their old and new rows
-- to their grids' and buildings' rows, recomputing coverage and attention from the new counts
-- with grid_rows_of / building_rows_of's expressions (171 µs a visit). Updates and deletes of
-- visits keep the full recompute. minqing.stats_drift and the property tests compare the result
-- with the reference definitions after random sequences of writes.
-- =============================================================================================

-- The rows' differences, added to their grids and buildings. `before` and `after` hold the same
-- households, with the same building, grid and risk; only visit-derived columns differ.
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
    join pol on pol.community_id is not distinct from x.community_id
  )
  update minqing.building_rollup br
  set covered_households = bx.covered,
      coverage = case when bx.households > 0 then bx.covered::float8 / bx.households end,
      overdue_households = bx.overdue, at_risk_overdue = bx.at_risk_overdue, days_since_last_visit = bx.days_visit,
      attention = (a ->> 'total')::float8, attention_breakdown = a - 'total'
  from bx, lateral public.attention_points(bx.s, bx.households, bx.covered, bx.at_risk_households, bx.at_risk_overdue,
                                           bx.overdue_issues, bx.days_since_last_patrol) a
  where br.building_id = bx.building_id;
end
$$;

-- New visits: (household, China date, method, result), one element per inserted row.
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
    join pol on pol.community_id is not distinct from hr.community_id
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

create or replace function minqing.stats_on_visits() returns trigger
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

revoke execute on function minqing.stats_apply_household_changes(date, minqing.household_rollup[], minqing.household_rollup[]),
  minqing.stats_apply_visit_dates(integer[], date[], text[], text[]) from public;
