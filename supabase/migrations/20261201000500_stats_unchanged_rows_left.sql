-- =============================================================================================
-- Statistics rollups: a new visit leaves unchanged grid and building rows alone
-- A visit to a household that was already covered, in a grid and building already visited that
-- day, changes none of their figures; stats_apply_household_changes (20261201000100) still wrote
-- a new version of each such row. Counted on a copy of the district tier, for 2,000 visits to
-- random households on the bench's day: 1,263 grid rows and 1,770 building rows written, of which
-- 269 and 992 changed. Now a row is updated only when one of the columns a visit can change
-- differs (covered, overdue, at-risk overdue households, days since the last visit; coverage and
-- attention follow from the first and third). Same figures: minqing.stats_drift and the property
-- tests compare the rollups with the reference after random sequences of writes.
-- =============================================================================================

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
