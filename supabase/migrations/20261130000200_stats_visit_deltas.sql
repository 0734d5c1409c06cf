-- =============================================================================================
-- Statistics rollups: new visits applied as deltas (issue #9, "rollup maintenance ≤ 50 µs per
-- ingested visit in bulk")
-- Measured on the district tier (2,100 grids; PostgreSQL), for 2,000 visits to random
-- households, i.e. 1,230 grids and 1,831 buildings: stats_apply recomputed the households
-- (134 ms), then every touched grid row from all its households, issues and patrols (1,134 ms,
-- 837 of them patrol days) and every touched building row (264 ms). A visit changes none of a
-- grid's issues or patrols, nor which households it has: only whether each visited household is
-- covered / overdue and when it was last visited. So an INSERT into visits now recomputes its
-- households as before and adds the difference between their old and new rollup rows to their
-- grids' and buildings' rows, keeping the issue and patrol figures, and recomputing coverage and
-- attention from the new counts with the same expressions as grid_rows_of / building_rows_of.
-- It holds only while every visited household keeps its building, grid and risk and its last
-- visit does not move back (always, for a pure insert under the same rollup date); when any
-- does not, the statement falls back to the full recompute. Updates and deletes of visits keep
-- the full recompute. minqing.stats_drift and the property tests compare the result with the
-- reference definitions after random sequences of writes.
-- =============================================================================================

create function minqing.stats_apply_new_visits(p_households integer[]) returns void
language plpgsql volatile security definer
set search_path = public, extensions
as $$
declare
  d date;
  hh integer[] := array(select distinct x from unnest(coalesce(p_households, '{}')) x where x is not null);
  before minqing.household_rollup[];
  after minqing.household_rollup[];
begin
  if cardinality(hh) = 0 then return; end if;
  -- The lock that serializes figure changes, as in stats_apply (see the rollups' header).
  update minqing.stats_state set version = version + 1 returning as_of into d;
  if d is null then return; end if;  -- never built: the first read builds from scratch

  before := array(select r from minqing.household_rollup r where r.household_id = any(hh));
  -- EXECUTE … USING: the household ids known to the planner (index lookups, see household_status_of).
  execute 'select array(select r from minqing.household_status_of($1, $2) r)' into after using d, hh;

  if exists (
    select 1 from unnest(before) o full join unnest(after) n on n.household_id = o.household_id
    where o.household_id is null or n.household_id is null
       or o.building_id is distinct from n.building_id or o.grid_id is distinct from n.grid_id
       or o.at_risk is distinct from n.at_risk
       or (o.last_visit is not null and (n.last_visit is null or n.last_visit < o.last_visit))
  ) then
    perform minqing.stats_apply(hh, null, null);
    return;
  end if;

  update minqing.household_rollup r
  set required_interval = n.required_interval, last_visit = n.last_visit, covered = n.covered,
      due_date = n.due_date, overdue = n.overdue
  from unnest(after) n
  where r.household_id = n.household_id;

  -- The policy once per community (a lookup per grid cost more than the rest of the update).
  with pol as materialized (
    select c.id as community_id, public.policy_settings_at(c.id, d) as s from public.communities c
    where c.id in (select x.community_id from public.grids x join unnest(after) n on n.grid_id = x.id)
  ),
  g as (
    select grid_id, sum(d_covered)::int as dc, sum(d_overdue)::int as dov, sum(d_at_risk_overdue)::int as dro, max(last_visit) as lv
    from (
      -- Per household: what its row adds to its grid's and building's counts now, minus before.
      select n.grid_id, n.building_id, n.covered::int - o.covered::int as d_covered, n.overdue::int - o.overdue::int as d_overdue,
        (n.at_risk and n.overdue)::int - (o.at_risk and o.overdue)::int as d_at_risk_overdue, n.last_visit
      from unnest(before) o join unnest(after) n on n.household_id = o.household_id
    ) x
    where grid_id is not null group by grid_id
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
  )
  update minqing.grid_rollup gr
  set covered_households = nx.covered,
      coverage = case when nx.households > 0 then nx.covered::float8 / nx.households end,
      overdue_households = nx.overdue, at_risk_overdue = nx.at_risk_overdue, days_since_last_visit = nx.days_visit,
      attention = (a ->> 'total')::float8, attention_breakdown = a - 'total'
  from nx, lateral public.attention_points(nx.s, nx.households, nx.covered, nx.at_risk_households, nx.at_risk_overdue,
                                           nx.overdue_issues, nx.days_since_last_patrol) a
  where gr.grid_id = nx.grid_id;

  -- A building's policy is its grid's community's, or the street default without a grid (as
  -- building_rows_of: its grid at the rollups' date, which the row holds).
  with pol as materialized (
    select c.id as community_id, public.policy_settings_at(c.id, d) as s from public.communities c
    where c.id in (select x.community_id from public.grids x join unnest(after) n on n.grid_id = x.id)
    union all
    select null, public.policy_settings_at(null, d)
  ),
  b as (
    select building_id, sum(d_covered)::int as dc, sum(d_overdue)::int as dov, sum(d_at_risk_overdue)::int as dro, max(last_visit) as lv
    from (
      -- The same per-household differences, by building.
      select n.grid_id, n.building_id, n.covered::int - o.covered::int as d_covered, n.overdue::int - o.overdue::int as d_overdue,
        (n.at_risk and n.overdue)::int - (o.at_risk and o.overdue)::int as d_at_risk_overdue, n.last_visit
      from unnest(before) o join unnest(after) n on n.household_id = o.household_id
    ) x
    group by building_id
  ),
  nx as (
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
  set covered_households = nx.covered,
      coverage = case when nx.households > 0 then nx.covered::float8 / nx.households end,
      overdue_households = nx.overdue, at_risk_overdue = nx.at_risk_overdue, days_since_last_visit = nx.days_visit,
      attention = (a ->> 'total')::float8, attention_breakdown = a - 'total'
  from nx, lateral public.attention_points(nx.s, nx.households, nx.covered, nx.at_risk_households, nx.at_risk_overdue,
                                           nx.overdue_issues, nx.days_since_last_patrol) a
  where br.building_id = nx.building_id;
end
$$;
revoke execute on function minqing.stats_apply_new_visits(integer[]) from public;

-- The visits trigger: inserts by delta, updates and deletes by the full recompute as before.
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
    perform minqing.stats_apply_new_visits(array(select household_id from new_rows));
    return null;
  elsif tg_op = 'UPDATE' then hh := array(select household_id from new_rows union select household_id from old_rows);
  else hh := array(select household_id from old_rows);
  end if;
  perform minqing.stats_apply(hh, null, null);
  return null;
end
$$;
